using System.Diagnostics;
using CiLab.Processes;
using CliWrap;

namespace CiLab.Tests.Processes;

public sealed class CommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task I_can_run_a_command_and_read_its_exit_code_and_output()
    {
        var result = await Cli.Wrap("sh").WithArguments("-c", "echo out; echo err >&2; exit 0").ExecuteBoundedAsync(Ct);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("out\n", result.StandardOutput);
        Assert.Equal("err\n", result.StandardError);
    }

    [Fact]
    public async Task Arguments_reach_the_process_exactly_as_given_without_a_shell()
    {
        var tricky = "a b 'c' \"d\" $HOME `x` ;|&";
        var result = await Cli.Wrap("printf").WithArguments("%s", tricky).ExecuteBoundedAsync(Ct);
        Assert.Equal(tricky, result.StandardOutput);
    }

    [Fact]
    public async Task A_non_zero_exit_throws_with_the_command_the_code_and_the_output_tail()
    {
        var command = Cli.Wrap("sh").WithArguments("-c", "echo something broke >&2; exit 3");
        var e = await Assert.ThrowsAsync<CommandFailedException>(() => command.ExecuteBoundedAsync(Ct));
        Assert.Equal(3, e.ExitCode);
        Assert.Contains("exited with code 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("sh -c \"echo something broke >&2; exit 3\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("something broke", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validation_can_be_turned_off()
    {
        var result = await Cli.Wrap("false").WithValidation(false).ExecuteBoundedAsync(Ct);
        Assert.Equal(1, result.ExitCode);
        Assert.False(result.IsSuccess);
    }

    [Fact]
    public async Task A_missing_executable_gives_a_clear_error()
    {
        var e = await Assert.ThrowsAsync<CommandNotFoundException>(() => Cli.Wrap("no-such-tool-cilab").ExecuteBoundedAsync(Ct));
        Assert.Contains("Could not start 'no-such-tool-cilab'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_working_directory_and_standard_input_are_applied()
    {
        var directory = Directory.CreateTempSubdirectory("cilab-cmd-").FullName;
        try
        {
            var result = await Cli.Wrap("sh").WithArguments("-c", "pwd; echo $GREETING $NAME ${HOME:-no home}; cat")
                .WithWorkingDirectory(directory)
                .WithEnvironmentVariable("GREETING", "hi there")
                .WithEnvironmentVariable("NAME", "lab")
                .WithEnvironmentVariable("HOME", null)
                .WithStandardInput("from stdin\n")
                .ExecuteBoundedAsync(Ct);
            Assert.Equal($"{directory}\nhi there lab no home\nfrom stdin\n", result.StandardOutput);
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
        await Cli.Wrap("sh").WithArguments("-c", "for i in 1 2 3; do echo line$i; done")
            .WithStandardOutputLine(lines.Add)
            .ExecuteBoundedAsync(Ct);
        Assert.Equal(["line1", "line2", "line3"], lines);
    }

    [Fact]
    public async Task A_callback_that_throws_does_not_stop_the_draining_and_its_exception_comes_after_the_exit()
    {
        // 1 MB on each stream: far more than a pipe holds, so a reader that stopped would leave the process blocked.
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<FormatException>(() => Cli.Wrap("sh").WithArguments("-c", "seq 1 150000; seq 1 150000 >&2; echo done")
            .WithStandardOutputLine(_ => throw new FormatException("bad line"))
            .WithStandardErrorLine(_ => throw new FormatException("bad error line"))
            .ExecuteBoundedAsync(Ct));
        Assert.Contains(e.Message, new[] { "bad line", "bad error line" });
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_throwing_output_callback_alone_still_surfaces_after_the_exit()
    {
        var lines = 0;
        var e = await Assert.ThrowsAsync<FormatException>(() => Cli.Wrap("sh").WithArguments("-c", "seq 1 150000")
            .WithStandardOutputLine(_ =>
            {
                lines++;
                throw new FormatException("bad line");
            })
            .ExecuteBoundedAsync(Ct));
        Assert.Equal("bad line", e.Message);
        Assert.Equal(1, lines);
    }

    [Fact]
    public async Task The_result_keeps_only_the_tail_of_huge_output()
    {
        var result = await Cli.Wrap("sh").WithArguments("-c", "seq 1 200000")
            .ExecuteBoundedAsync(Ct, outputLimit: 10_000);
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
        var run = Cli.Wrap("sh").WithArguments("-c", $"echo ready; sh -c 'sleep {marker}' & wait")
            .WithStandardOutputLine(_ => started.TrySetResult())
            .ExecuteBoundedAsync(cancellation.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        // Three, or two once the inner sh has exec'd sleep, its last command (dash does): the tree is up either way.
        await WaitUntilAsync(() => ProcessesWith(marker) >= 2);
        Assert.InRange(ProcessesWith(marker), 2, 3);

        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        await WaitUntilAsync(() => ProcessesWith(marker) == 0);
        Assert.Equal(0, ProcessesWith(marker));
    }

    [Theory]
    [InlineData(5, "cleaned up")]
    [InlineData(0, "")]
    public async Task With_a_grace_period_cancellation_sends_SIGTERM_first_and_lets_the_tool_clean_up(int graceSeconds, string expected)
    {
        var file = Path.Combine(Path.GetTempPath(), $"cilab-grace-{Guid.NewGuid():N}");
        using var cancellation = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        var run = Cli.Wrap("sh").WithArguments("-c", $"trap 'echo cleaned up > {file}; exit 0' TERM; echo ready; sleep 30 & wait")
            .WithStandardOutputLine(_ => started.TrySetResult())
            .ExecuteBoundedAsync(cancellation.Token, grace: TimeSpan.FromSeconds(graceSeconds));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(expected, File.Exists(file) ? File.ReadAllText(file).Trim() : string.Empty);
        File.Delete(file);
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
