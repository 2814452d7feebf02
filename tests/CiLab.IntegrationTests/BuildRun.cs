using System.Text;
using CiLab.Processes;

namespace CiLab.IntegrationTests;

/// <summary>The repository's build run as its own process, as ./nuke.sh runs it, with its output watched while it runs.</summary>
internal sealed class BuildRun
{
    private readonly StringBuilder _output = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _watches = [];
    private readonly Task<HostCommandResult> _run;
    private readonly TaskCompletionSource<int> _started = new();

    public BuildRun(params string[] arguments)
    {
        var build = Path.Combine(GuestLab.RepositoryRoot, "artifacts", "build-bin", "_build.dll");
        Assert.True(File.Exists(build), $"{build} is missing: run the tests through ./nuke.sh Test, which builds it.");
        _run = CliWrap.Cli.Wrap("sh").WithArguments(["-c", "echo \"pid $$\"; exec dotnet \"$@\"", "sh", build, .. arguments])
            .WithWorkingDirectory(GuestLab.RepositoryRoot)
            .WithValidation(false)
            .WithStandardOutputLine(Line)
            .WithStandardErrorLine(Line)
            .ExecuteBoundedAsync(TestContext.Current.CancellationToken, grace: TimeSpan.FromSeconds(30));
    }

    public int ProcessId => _started.Task.Result;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async Task SaysAsync(string text, TimeSpan timeout)
    {
        TaskCompletionSource seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            if (_output.ToString().Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            _watches.Add((text, seen));
        }

        var ended = await Task.WhenAny(seen.Task, _run, Task.Delay(timeout, TestContext.Current.CancellationToken));
        Assert.True(ended == seen.Task, $"The build never said '{text}' ({(ended == _run ? "it exited" : "timed out")}):\n{Output}");
    }

    public async Task<int> ExitCodeAsync(TimeSpan timeout) => (await _run.WaitAsync(timeout, TestContext.Current.CancellationToken)).ExitCode;

    private void Line(string line)
    {
        if (line.StartsWith("pid ", StringComparison.Ordinal) && !_started.Task.IsCompleted)
        {
            _started.TrySetResult(int.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture));
        }

        lock (_output)
        {
            _output.AppendLine(line);
            foreach (var watch in _watches.Where(w => line.Contains(w.Text, StringComparison.Ordinal)))
            {
                watch.Seen.TrySetResult();
            }
        }
    }
}
