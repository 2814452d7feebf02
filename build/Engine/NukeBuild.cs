using System.Linq.Expressions;
using System.Runtime.InteropServices;

namespace CiLab.Build.Engine;

/// <summary>
/// The base of a build class, in Nuke's shape: declare <see cref="Target"/> properties and
/// <see cref="ParameterAttribute"/> fields, and start it with <c>Main() => Execute&lt;Build&gt;(x => x.Default)</c>.
/// </summary>
public abstract class NukeBuild
{
    /// <summary>The repository root: the directory that holds <c>.nuke/</c>.</summary>
    public string RootDirectory { get; internal set; } = Directory.GetCurrentDirectory();

    /// <summary>True in CI (the <c>CI</c> environment variable is set), where output stays plain and nothing prompts.</summary>
    public static bool IsServerBuild => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>The targets named on the command line (or the default one), as the runner planned them.</summary>
    public IReadOnlyList<string> InvokedTargets { get; internal set; } = [];

    // Set by the runner once targets and parameters are known.
    internal Func<string>? SchemaText { get; set; }

    /// <summary>
    /// True for exceptions whose message alone explains the failure (a library's own, say): the build prints the message
    /// without the type and origin it shows for unexpected ones.
    /// </summary>
    protected internal virtual bool IsExplainedFailure(Exception exception) => false;

    /// <summary>The JSON schema of this build's parameters and targets (for <c>.nuke/build.schema.json</c>).</summary>
    protected string BuildSchemaJson() => SchemaText?.Invoke() ?? throw new InvalidOperationException("The schema is available once the build runs.");

    /// <summary>
    /// Runs the build of type <typeparamref name="T"/> with the process's arguments and environment.
    /// Ctrl-C and SIGTERM cancel the running target's token; assured targets still run.
    /// </summary>
    protected static int Execute<T>(Expression<Func<T, Target>> defaultTarget)
        where T : NukeBuild, new()
    {
        ArgumentNullException.ThrowIfNull(defaultTarget);
        using var cancellation = new CancellationTokenSource();
        void Cancel(PosixSignalContext context)
        {
            if (!cancellation.IsCancellationRequested)
            {
                // The first signal cancels gracefully; a second one ends the process as usual.
                context.Cancel = true;
                Console.Error.WriteLine($"{context.Signal} received: cancelling the running target (again to abort at once).");
                cancellation.Cancel();
            }
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? string.Empty);
        var options = new BuildRunOptions
        {
            Arguments = Environment.GetCommandLineArgs().Skip(1).ToList(),
            Environment = environment,
            RootDirectory = FindRoot(),
            DefaultTarget = ((MemberExpression)defaultTarget.Body).Member.Name,
            CancellationToken = cancellation.Token,
        };
        return BuildRunner.RunAsync(new T(), options).GetAwaiter().GetResult().ExitCode;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            if (Directory.Exists(Path.Combine(directory.FullName, ".nuke")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
