using CiLab.Images;
using CiLab.Labs;
using CiLab.Machines;
using Microsoft.Extensions.Logging.Abstractions;

namespace CiLab.Qemu;

/// <summary>The default backend: each VM a local QEMU process on its own overlay, reached on 127.0.0.1.</summary>
internal sealed class QemuBackend : IMachineBackend
{
    public string Name => "qemu";

    public async Task<IMachine> CreateAsync(Lab lab, VmDefinition vm, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(vm);
        var image = await lab.ImageAsync(vm.Image, vm.User, cancellationToken).ConfigureAwait(false);
        return new QemuMachine(vm, image, lab.State, lab.Log) { WaitWhenBusy = lab.WaitWhenBusy };
    }

    public VmStatus ReadStatus(LabDefinition lab, LabState state, VmDefinition vm)
    {
        // No image is resolved: a status must not build one.
        var unresolved = new BootableImage { Id = "(not resolved)", DiskPath = string.Empty };
        return new QemuMachine(vm, unresolved, state, NullLogger.Instance).GetStatus();
    }
}
