using CiLab.Machines;
using CiLab.Qemu;

namespace CiLab.IntegrationTests;

/// <summary>One running guest shared by the SSH and sync tests, with a 'clean' snapshot to return to after a test breaks it.</summary>
public sealed class SshGuest(GuestLab lab) : IAsyncLifetime
{
    public QemuMachine Vm { get; } = lab.Machine("ssh");

    public async ValueTask InitializeAsync()
    {
        await Vm.StartAsync(MachineStartOptions.Owned, CancellationToken.None);
        await Vm.SnapshotAsync("clean", CancellationToken.None);
    }

    public async ValueTask DisposeAsync() => await Vm.DestroyAsync(CancellationToken.None);
}
