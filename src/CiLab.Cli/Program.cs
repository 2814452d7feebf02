using System.Runtime.InteropServices;
using CiLab.Cli;

// Ctrl-C and SIGTERM cancel the running verb, which stops any VM it was starting. Not disposed: a signal's handler can
// still run on its own thread while the process exits (seen: a crash, exit 134, after 'cancelled').
var cancellation = new CancellationTokenSource();
void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    cancellation.Cancel();
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
try
{
    return await CliApplication.RunAsync(args, Console.Out, Console.Error, cancellation.Token).ConfigureAwait(false);
}
catch (OperationCanceledException)
{
    await Console.Error.WriteLineAsync("cancelled").ConfigureAwait(false);
    return 130;
}
