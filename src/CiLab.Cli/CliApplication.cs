using System.CommandLine;

namespace CiLab.Cli;

/// <summary>The cilab command tree. Each verb calls the library, exactly as the build's targets do.</summary>
public static class CliApplication
{
    /// <summary>Exit code for a test that failed.</summary>
    public const int TestsFailed = 1;

    /// <summary>Exit code for unreadable input or bad usage.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code for a failure cilab did not foresee (a bug): one line, no stack trace unless CILAB_DEBUG is set.</summary>
    public const int Unexpected = 70;

    /// <summary>A verb's description followed by the examples <c>--help</c> shows under it.</summary>
    internal static string Help(string description, params string[] examples) =>
        $"{description}{Environment.NewLine}{Environment.NewLine}Examples:{Environment.NewLine}{string.Join(Environment.NewLine, examples.Select(e => "  " + e))}";

    /// <summary>Builds the root command with every verb, writing to <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static RootCommand CreateRootCommand(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("cilab: run a project's tests inside real QEMU virtual machines.");
        var results = new Command("results", Help("Work with test results.", "cilab results convert --format tap run.tap"));
        results.Subcommands.Add(ResultsConvertCommand.Create(output, error));
        root.Subcommands.Add(results);
        root.Subcommands.Add(ReportCommand.Create(output, error));
        root.Subcommands.Add(VmCommands.Create(output, error));
        root.Subcommands.Add(ImageCommands.Create(output, error));
        root.Subcommands.Add(SyncCommand.Create(output, error));
        root.Subcommands.Add(CiCommands.Create(output, error));
        root.Subcommands.Add(DoctorCommand.Create(output, error));
        return root;
    }

    /// <summary>Parses <paramref name="args"/> and runs the chosen verb; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var root = CreateRootCommand(output, error);
        // Our own last resort below, instead of System.CommandLine's, which prints a stack trace.
        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                await error.WriteLineAsync($"error: {parseError.Message}").ConfigureAwait(false);
            }

            await error.WriteLineAsync("Run 'cilab --help' for usage.").ConfigureAwait(false);
            return BadInput;
        }

        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await error.WriteLineAsync($"error: {e.Message} ({e.GetType().Name}; this is a bug in cilab{(Environment.GetEnvironmentVariable("CILAB_DEBUG") is { Length: > 0 } ? ")" + Environment.NewLine + e : ": set CILAB_DEBUG=1 for details)")}").ConfigureAwait(false);
            return Unexpected;
        }
    }
}
