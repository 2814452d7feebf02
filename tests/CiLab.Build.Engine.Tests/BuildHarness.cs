using CiLab.Build.Engine;

namespace CiLab.Build.Engine.Tests;

/// <summary>Runs a build in a temporary root with given arguments and environment, capturing its output.</summary>
internal sealed class BuildHarness : IDisposable
{
    public BuildHarness()
    {
        Root = Directory.CreateTempSubdirectory("cilab-engine-").FullName;
        Directory.CreateDirectory(Path.Combine(Root, ".nuke"));
    }

    public string Root { get; }

    public StringWriter Output { get; } = new();

    public Dictionary<string, string> Environment { get; } = [];

    public void WriteParametersFile(string json) => File.WriteAllText(Path.Combine(Root, ".nuke", "parameters.json"), json);

    public Task<BuildResult> RunAsync(NukeBuild build, params string[] arguments) => RunAsync(build, CancellationToken.None, arguments);

    public Task<BuildResult> RunAsync(NukeBuild build, CancellationToken cancellationToken, params string[] arguments) =>
        BuildRunner.RunAsync(build, new BuildRunOptions
        {
            Arguments = arguments,
            Environment = Environment,
            RootDirectory = Root,
            DefaultTarget = "Compile",
            Output = Output,
            CancellationToken = cancellationToken,
        });

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
