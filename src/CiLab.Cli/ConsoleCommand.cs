using System.CommandLine;
using System.Text;
using CiLab.Labs;
using CiLab.Machines;

namespace CiLab.Cli;

/// <summary>
/// <c>cilab vm console</c>: the running VM's serial port connected to this terminal (raw, Ctrl-] detaches), as
/// <c>virsh console</c> does — for an installer driven by hand once, or a guest SSH cannot reach. With standard input
/// not a terminal, it relays that input and then the guest's output until Ctrl-C, so an installer can be scripted.
/// </summary>
internal static class ConsoleCommand
{
    private const byte Detach = 0x1d; // Ctrl-]

    public static Command Create(TextWriter output, TextWriter error) => Verb(
        "console",
        CliApplication.Help("Connect this terminal to a running VM's serial console (Ctrl-] detaches; the VM runs on)", "cilab vm console phase4", "printf 'root\\n' | cilab vm console installer"),
        output, error, install: false);

    /// <summary><c>cilab vm install</c>: boots the VM once from its install-iso, without waiting for SSH, and attaches its console.</summary>
    public static Command CreateInstall(TextWriter output, TextWriter error) => Verb(
        "install",
        CliApplication.Help("Boot a VM once from its install-iso (its disk: a blank image) and connect this terminal to the installer on its serial console", "cilab vm install dragonfly", "cilab vm install dragonfly --lab bsd.lab.yaml"),
        output, error, install: true);

    private static Command Verb(string verb, string description, TextWriter output, TextWriter error, bool install)
    {
        var name = new Argument<string?>("vm") { Description = "The VM (default: the lab's first)", Arity = ArgumentArity.ZeroOrOne };
        var lab = new Option<string>("--lab") { Description = "The lab file", DefaultValueFactory = _ => "lab.yaml" };
        var command = new Command(verb, description) { name, lab };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var definition = LabFile.Load(parse.GetValue(lab)!);
                // Quiet for console: nothing should come between the command and the guest. Install says what it builds and boots.
                var log = install ? (Microsoft.Extensions.Logging.ILogger)new Host.LineLogger(error) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
                var opened = await Lab.OpenAsync(definition, new LabOptions { Log = log }, ct);
                var machine = await opened.MachineAsync(parse.GetValue(name) ?? definition.Vms[0].Name, ct);
                var console = machine as IInteractiveConsole
                    ?? throw new VmException($"VM '{machine.Name}' runs on backend '{machine.Definition.Backend}', which offers no serial console here.");
                if (install)
                {
                    await machine.StartAsync(new MachineStartOptions { Install = true }, ct);
                }

                return await AttachAsync(machine.Name, console, output, error, ct);
            }
            catch (Exception e) when (e is CiLabException or FileNotFoundException or ArgumentException)
            {
                await error.WriteLineAsync($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static async Task<int> AttachAsync(string vm, IInteractiveConsole console, TextWriter output, TextWriter error, CancellationToken ct)
    {
        await using var stream = await console.AttachConsoleAsync(ct);
        var terminal = !Console.IsInputRedirected && output == Console.Out;
        await error.WriteLineAsync($"Connected to VM '{vm}''s serial console{(terminal ? "; Ctrl-] detaches" : string.Empty)}.");
        // Raw: every key goes to the guest as typed, Ctrl-C too.
        var saved = terminal ? RawTerminal.Enter() : null;
        try
        {
            var ended = await RelayAsync(stream, output, terminal, ct);
            await error.WriteLineAsync(ended ? $"{(terminal ? "\r\n" : string.Empty)}The console closed: VM '{vm}' stopped." : "\r\nDetached; the VM runs on.");
            return 0;
        }
        finally
        {
            if (saved is not null)
            {
                RawTerminal.Restore(saved);
            }
        }
    }

    /// <returns>True when the guest side closed (the VM stopped), false when the user detached.</returns>
    private static async Task<bool> RelayAsync(Stream console, TextWriter output, bool terminal, CancellationToken cancellationToken)
    {
        var fromGuest = CopyOutAsync(console, output, cancellationToken);
        // Standard input's read cannot be cancelled: that task is left behind when the guest side ends or Ctrl-C comes.
        var toGuest = Task.Run(() => CopyInAsync(console, terminal, cancellationToken), CancellationToken.None);
        if (await Task.WhenAny(fromGuest, toGuest).ConfigureAwait(false) == toGuest && toGuest.IsCompletedSuccessfully && !toGuest.Result)
        {
            return false;
        }

        // Input ended (a script): the guest's output goes on until it closes or Ctrl-C.
        await fromGuest.ConfigureAwait(false);
        return true;
    }

    private static async Task CopyOutAsync(Stream console, TextWriter output, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var decoder = Encoding.UTF8.GetDecoder();
        var characters = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        int read;
        while ((read = await console.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            var count = decoder.GetChars(buffer, 0, read, characters, 0);
            await output.WriteAsync(characters.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <returns>True when input ended (the output goes on until Ctrl-C), false when the user typed the detach key.</returns>
    private static async Task<bool> CopyInAsync(Stream console, bool terminal, CancellationToken cancellationToken)
    {
        // File descriptor 0 itself: Console's stdin stream edits lines at a terminal, and the guest does that.
        await using var input = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
        var buffer = new byte[1024];
        int read;
        while ((read = await input.ReadAsync(buffer, CancellationToken.None).ConfigureAwait(false)) > 0)
        {
            var length = terminal && Array.IndexOf(buffer, Detach, 0, read) is var at and >= 0 ? at : read;
            await console.WriteAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            if (length < read)
            {
                return false;
            }
        }

        return true;
    }
}
