using CiLab.Processes;
using CiLab.Ssh;
using CliWrap;

namespace CiLab.Tests.Ssh;

public sealed class LoginShellTests
{
    private const string Nasty = "A='it''s' B=\"$HOME\" sh -c 'printf \"%s|%s|\\n\" \"$A\" \"$B\"; echo \"wow!\"; echo été' </dev/null";

    [Theory]
    [InlineData("sh")]
    [InlineData("bash")]
    public async Task A_wrapped_command_line_does_what_the_original_does(string loginShell)
    {
        var original = await Cli.Wrap(loginShell).WithArguments(["-c", Nasty]).ExecuteBoundedAsync(TestContext.Current.CancellationToken);
        var wrapped = await Cli.Wrap(loginShell).WithArguments(["-c", LoginShell.Wrap(Nasty)]).ExecuteBoundedAsync(TestContext.Current.CancellationToken);

        Assert.Equal("its|" + Environment.GetEnvironmentVariable("HOME") + "|\nwow!\nété\n", original.StandardOutput);
        Assert.Equal(original.StandardOutput, wrapped.StandardOutput);
    }

    [Fact]
    public void The_wrapped_line_holds_nothing_a_csh_or_fish_reads_differently_inside_single_quotes()
    {
        var wrapped = LoginShell.Wrap("a\nb 'c' \"d\" !e \\f `g` %h");
        var quoted = wrapped["exec sh -c '".Length..^1];

        Assert.StartsWith("exec sh -c '", wrapped, StringComparison.Ordinal);
        Assert.EndsWith("'", wrapped, StringComparison.Ordinal);
        Assert.DoesNotContain('\'', quoted);
        Assert.DoesNotContain('\n', quoted);
        Assert.DoesNotContain('!', quoted);
        Assert.DoesNotContain("\\\\", quoted, StringComparison.Ordinal);
    }
}
