using System.Text;

namespace CiLab.Images;

/// <summary>A cloud-init NoCloud seed: user-data (the lab's user and key), meta-data and network-config on a <c>cidata</c> volume.</summary>
internal static class CloudInitSeed
{
    /// <summary>Writes the seed ISO for a VM named <paramref name="vm"/> with <paramref name="user"/> and <paramref name="authorizedKey"/>.</summary>
    public static void Write(string path, string vm, string user, string authorizedKey)
    {
        var userData = $"""
            #cloud-config
            users:
              - name: {user}
                shell: /bin/bash
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
        const string networkConfig = "version: 2\nethernets:\n  primary:\n    match:\n      name: \"e*\"\n    dhcp4: true\n";
        Iso9660Writer.Write(path, "cidata", new Dictionary<string, byte[]>
        {
            ["user-data"] = Encoding.UTF8.GetBytes(userData),
            ["meta-data"] = Encoding.UTF8.GetBytes(metaData),
            ["network-config"] = Encoding.UTF8.GetBytes(networkConfig),
        });
    }
}
