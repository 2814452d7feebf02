using CiLab.Labs;
using CiLab.Machines;

namespace CiLab.Proxmox;

/// <summary><c>backend: proxmox</c>: a lab VM as a clone on the lab's Proxmox VE cluster. The API token comes from the environment.</summary>
internal sealed class ProxmoxBackend : IMachineBackend
{
    public string Name => "proxmox";

    public Task<IMachine> CreateAsync(Lab lab, VmDefinition vm, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(vm);
        var (settings, image) = Resolve(lab.Definition, vm);
        var token = ProxmoxToken.FromEnvironment();
        token.MaskIn(GitHub.GitHubContext.FromEnvironment(), Console.Out);
        var client = new ProxmoxClient(settings.Endpoint, settings.Node, token, settings.Fingerprint);
        return Task.FromResult<IMachine>(new ProxmoxMachine(vm, image, settings, client, lab.State, lab.PublicKey, lab.Log) { WaitWhenBusy = lab.WaitWhenBusy });
    }

    public VmStatus ReadStatus(LabDefinition lab, LabState state, VmDefinition vm)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(vm);
        // No clone, no call: a lab that never ran on the cluster needs no token to show its status.
        if (!File.Exists(Path.Combine(state.Root, "vms", vm.Name, "proxmox.json")))
        {
            return new VmStatus(vm.Name, VmRunState.Stopped, null, null, null, "proxmox", null);
        }

        var (settings, image) = Resolve(lab, vm);
        using var client = new ProxmoxClient(settings.Endpoint, settings.Node, ProxmoxToken.FromEnvironment(), settings.Fingerprint);
        return new ProxmoxMachine(vm, image, settings, client, state, string.Empty, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).GetStatus();
    }

    private static (ProxmoxSettings Settings, ImageDefinition Image) Resolve(LabDefinition lab, VmDefinition vm) =>
        (lab.Proxmox ?? throw new VmException($"VM '{vm.Name}' runs on Proxmox, but the lab file has no 'proxmox:' section."), lab.Image(vm.Image));
}
