using System.CommandLine;

namespace CiLab.Cli;

/// <summary>The cilab command tree. Each verb calls the library, exactly as the build's targets do.</summary>
public static class CliApplication
{
    /// <summary>Builds the root command with every verb.</summary>
    public static RootCommand CreateRootCommand(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("cilab: run a project's tests inside real QEMU virtual machines.");
        _ = output;
        _ = error;
        return root;
    }

    /// <summary>Parses <paramref name="args"/> and runs the chosen verb; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var root = CreateRootCommand(output, error);
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        return await root.Parse(args).InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }
}
