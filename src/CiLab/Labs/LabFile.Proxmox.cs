using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace CiLab.Labs;

/// <summary>The <c>proxmox:</c> section, and which images and VMs may use it.</summary>
public sealed partial class LabFile
{
    internal static readonly string[] ProxmoxKeys = ["endpoint", "node", "vmids", "fingerprint", "full-clone", "storage", "pool", "ssh-port"];

    private ProxmoxSettings? ReadProxmox(YamlNode node)
    {
        if (Mapping(node, "proxmox") is not { } map)
        {
            return null;
        }

        CheckKeys(map, "proxmox", ProxmoxKeys);
        var endpointText = RequiredString(map, "endpoint", "proxmox");
        Uri? endpoint = null;
        if (endpointText is not null && (!Uri.TryCreate(endpointText, UriKind.Absolute, out endpoint) || !(endpoint.Scheme == Uri.UriSchemeHttps || (endpoint.Scheme == Uri.UriSchemeHttp && endpoint.IsLoopback))))
        {
            Error(Child(map, "endpoint")!.Start, "proxmox.endpoint", $"'{endpointText}' is not an https:// URL (the API token must not travel in clear text), e.g. https://pve1.example.org:8006/");
            endpoint = null;
        }

        var nodeName = RequiredString(map, "node", "proxmox");
        if (nodeName is not null && !Names.IsValidName(nodeName))
        {
            Error(Child(map, "node")!.Start, "proxmox.node", $"'{nodeName}' is not a node name");
        }

        var (first, last) = (9100, 9199);
        if (String(map, "vmids", "proxmox") is { } range)
        {
            var parts = range.Split('-');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out first) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out last) || first < 100 || last > 999_999_999 || first > last)
            {
                Error(Child(map, "vmids")!.Start, "proxmox.vmids", $"'{range}' is not a VMID range like 9100-9199 (100 to 999999999)");
            }
        }

        string? fingerprint = String(map, "fingerprint", "proxmox");
        if (fingerprint is not null && fingerprint.Count(Uri.IsHexDigit) != 64)
        {
            Error(Child(map, "fingerprint")!.Start, "proxmox.fingerprint", "a certificate fingerprint is SHA-256: 64 hex digits, as 'pvenode cert info' shows them");
        }

        var sshPort = String(map, "ssh-port", "proxmox") is { } port ? Port(Child(map, "ssh-port")!, "proxmox.ssh-port", port) : 22;
        return endpoint is null || nodeName is null ? null : new ProxmoxSettings
        {
            Endpoint = endpoint,
            Node = nodeName,
            FirstVmid = first,
            LastVmid = last,
            Fingerprint = fingerprint,
            FullClone = Bool(map, "full-clone", "proxmox") ?? false,
            Storage = String(map, "storage", "proxmox"),
            Pool = String(map, "pool", "proxmox"),
            SshPort = sshPort,
        };
    }

    // A VM on Proxmox boots a template (and needs the cluster); a VM on QEMU boots a disk image.
    private void CheckBackends(YamlMappingNode root, List<ImageDefinition> images, List<VmDefinition> vms, ProxmoxSettings? proxmox)
    {
        foreach (var (vm, i) in vms.Select((v, i) => (v, i)))
        {
            var image = images.FirstOrDefault(x => x.Name == vm.Image);
            var onProxmox = vm.Backend == "proxmox";
            var mark = List(root, "vms").ElementAt(i).Start;
            if (onProxmox && proxmox is null && Child(root, "proxmox") is null)
            {
                Error(mark, $"vms[{i}].backend", $"VM '{vm.Name}' runs on Proxmox, but the lab has no 'proxmox:' section (endpoint and node)");
            }

            if (image is not null && onProxmox != image.ProxmoxTemplate is not null)
            {
                Error(mark, $"vms[{i}].image", onProxmox
                    ? $"VM '{vm.Name}' runs on Proxmox, so its image '{image.Name}' needs 'proxmox-template: VMID' (the template it is cloned from)"
                    : $"image '{image.Name}' is a Proxmox template: VM '{vm.Name}' needs 'backend: proxmox'");
            }
        }
    }
}
