namespace CiLab.Tests.Proxmox;

/// <summary>A VM on the fake Proxmox node.</summary>
internal sealed class FakeVm(int id, string name, bool template = false)
{
    public int Id { get; } = id;

    public string Name { get; } = name;

    public bool Template { get; } = template;

    public string Status { get; set; } = "stopped";

    public string Tags { get; set; } = string.Empty;

    public bool Protected { get; set; }

    public string? User { get; set; }

    public string? SshKeys { get; set; }

    public string Address { get; set; } = "192.0.2.10";

    public List<string> Snapshots { get; } = [];

    public string Net0 { get; set; } = "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1";

    /// <summary>The config's SHA-1 digest, as Proxmox gives it: changes with every edit.</summary>
    public string Digest => Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes($"{Tags}|{User}|{SshKeys}|{Net0}|{Protected}")));

    public Dictionary<string, object> Config()
    {
        var config = new Dictionary<string, object> { ["name"] = Name, ["digest"] = Digest, ["net0"] = Net0 };
        if (Tags.Length > 0)
        {
            config["tags"] = Tags;
        }

        if (Protected)
        {
            config["protection"] = 1;
        }

        if (Template)
        {
            config["template"] = 1;
        }

        return config;
    }
}
