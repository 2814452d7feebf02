using System.Text;

namespace CiLab.Images;

/// <summary>A cloud-init NoCloud seed: user-data (the lab's user and key), meta-data and network-config on a <c>cidata</c> volume.</summary>
internal static class CloudInitSeed
{
    /// <summary>
    /// Writes the seed ISO for a VM named <paramref name="vm"/> with <paramref name="user"/> (login shell
    /// <paramref name="shell"/>, the guest profile's) and <paramref name="authorizedKey"/>; the network card is matched by
    /// <paramref name="macAddress"/>, not by a name only one OS uses.
    /// </summary>
    public static void Write(string path, string vm, string user, string authorizedKey, string shell, string macAddress)
    {
        var userData = $"""
            #cloud-config
            users:
              - name: {user}
                shell: {shell}
                sudo: "ALL=(ALL) NOPASSWD:ALL"
                lock_passwd: true
                ssh_authorized_keys:
                  - {authorizedKey}
            disable_root: false
            ssh_pwauth: false
            ssh_authorized_keys:
              - {authorizedKey}

            """;
        var metaData = $"instance-id: cilab-{vm}\nlocal-hostname: {vm}\n";
        var networkConfig = $"version: 2\nethernets:\n  primary:\n    match:\n      macaddress: \"{macAddress}\"\n    dhcp4: true\n";
        Iso9660Writer.Write(path, "cidata", new Dictionary<string, byte[]>
        {
            ["user-data"] = Encoding.UTF8.GetBytes(userData),
            ["meta-data"] = Encoding.UTF8.GetBytes(metaData),
            ["network-config"] = Encoding.UTF8.GetBytes(networkConfig),
        });
    }
}
