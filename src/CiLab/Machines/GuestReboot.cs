namespace CiLab.Machines;

/// <summary>Asking a guest to reboot cleanly, the same for every backend and for warm and cold reboots.</summary>
internal static class GuestReboot
{
    /// <summary>Runs the guest profile's reboot command, elevated as the VM's definition says; returns once it was asked.</summary>
    public static async Task AskAsync(IMachine vm, CancellationToken cancellationToken)
    {
        try
        {
            await vm.Shell.RunAsync(new GuestCommand { Script = vm.Profile.RebootCommand, Elevation = vm.Definition.Elevation, ValidateExitCode = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (GuestConnectionException)
        {
            // The connection went down with the guest: that is the reboot happening.
        }
    }
}
