using System.Diagnostics;
using CiLab.Processes;

namespace CiLab.Tests.Processes;

public sealed class CommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task I_can_run_a_command_and_read_its_exit_code_and_output()
    {
        var result = await Command.Create("sh").WithArguments("-c", "echo out; echo err >&2; exit 0").ExecuteAsync(Ct);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("out\n", result.StandardOutput);
        Assert.Equal("err\n", result.StandardError);
    }

    [Fact]
    public async Task Arguments_reach_the_process_exactly_as_given_without_a_shell()
    {
        var tricky = "a b 'c' \"d\" $HOME `x` ;|&";
        var result = await Command.Create("printf").WithArguments("%s", tricky).ExecuteAsync(Ct);
        Assert.Equal(tricky, result.StandardOutput);
    }

    [Fact]
    public async Task A_non_zero_exit_throws_with_the_command_the_code_and_the_output_tail()
    {
        var command = Command.Create("sh").WithArguments("-c", "echo something broke >&2; exit 3");
        var e = await Assert.ThrowsAsync<CommandFailedException>(() => command.ExecuteAsync(Ct));
        Assert.Equal(3, e.ExitCode);
        Assert.Contains("exited with code 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("sh -c 'echo something broke >&2; exit 3'", e.Message, StringComparison.Ordinal);
        Assert.Contains("something broke", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validation_can_be_turned_off()
    {
        var result = await Command.Create("false").WithValidation(false).ExecuteAsync(Ct);
        Assert.Equal(1, result.ExitCode);
        Assert.False(result.IsSuccess);
    }

    [Fact]
    public async Task A_missing_executable_gives_a_clear_error()
    {
        var e = await Assert.ThrowsAsync<CommandNotFoundException>(() => Command.Create("no-such-tool-cilab").ExecuteAsync(Ct));
        Assert.Contains("Could not start 'no-such-tool-cilab'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_working_directory_and_standard_input_are_applied()
    {
        var directory = Directory.CreateTempSubdirectory("cilab-cmd-").FullName;
        try
        {
            var result = await Command.Create("sh").WithArguments("-c", "pwd; echo $GREETING; cat")
                .WithWorkingDirectory(directory)
                .WithEnvironmentVariable("GREETING", "hi there")
                .WithStandardInput("from stdin\n")
                .ExecuteAsync(Ct);
            Assert.Equal($"{directory}\nhi there\nfrom stdin\n", result.StandardOutput);
        }
        finally
        {
            Directory.Delete(directory);
        }
    }

    [Fact]
    public async Task Lines_are_streamed_to_callbacks_as_they_arrive()
    {
        var lines = new List<string>();
        await Command.Create("sh").WithArguments("-c", "for i in 1 2 3; do echo line$i; done")
            .WithStandardOutputLine(lines.Add)
            .ExecuteAsync(Ct);
        Assert.Equal(["line1", "line2", "line3"], lines);
    }

    [Fact]
    public async Task A_callback_that_throws_does_not_stop_the_draining_and_its_exception_comes_after_the_exit()
    {
        // 1 MB on each stream: far more than a pipe holds, so a reader that stopped would leave the process blocked.
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<FormatException>(() => Command.Create("sh").WithArguments("-c", "seq 1 150000; seq 1 150000 >&2; echo done")
            .WithStandardOutputLine(_ => throw new FormatException("bad line"))
            .WithStandardErrorLine(_ => throw new FormatException("bad error line"))
            .ExecuteAsync(Ct));
        Assert.Equal("bad line", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task The_result_keeps_only_the_tail_of_huge_output()
    {
        var result = await Command.Create("sh").WithArguments("-c", "seq 1 200000")
            .WithOutputLimit(10_000)
            .ExecuteAsync(Ct);
        Assert.True(result.StandardOutput.Length <= 10_000);
        Assert.EndsWith("199999\n200000\n", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_kills_the_whole_process_tree()
    {
        // A unique sleep length marks every process of the tree (sh, its child sh, sleep) in its argv.
        var marker = $"3000.{Random.Shared.Next(100_000, 999_999)}";
        using var cancellation = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        var run = Command.Create("sh").WithArguments("-c", $"echo ready; sh -c 'sleep {marker}' & wait")
            .WithStandardOutputLine(_ => started.TrySetResult())
            .ExecuteAsync(cancellation.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await WaitUntilAsync(() => ProcessesWith(marker) == 3);
        Assert.Equal(3, ProcessesWith(marker));

        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        await WaitUntilAsync(() => ProcessesWith(marker) == 0);
        Assert.Equal(0, ProcessesWith(marker));
    }

    private static int ProcessesWith(string marker)
    {
        var count = 0;
        foreach (var directory in Directory.GetDirectories("/proc").Where(d => char.IsDigit(Path.GetFileName(d)[0])))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Contains(marker, StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return count;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50, Ct);
        }
    }
}
