using CiLab.Processes;
using CliWrap;

namespace CiLab.Tests.Processes;

public sealed class ShellQuotingTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("with space")]
    [InlineData("it's")]
    [InlineData("$HOME and `cmd` and $(cmd)")]
    [InlineData("line1\nline2")]
    [InlineData("safe\n")]
    [InlineData("safe\ntouch /tmp/cilab-injected")]
    [InlineData("")]
    [InlineData("\"double\" 'single' \\ back")]
    public async Task A_quoted_word_reads_back_identically_in_a_real_shell(string word)
    {
        var script = "printf %s " + ShellQuoting.Quote(word);
        var result = await Cli.Wrap("sh").WithArguments("-c", script).ExecuteBoundedAsync(TestContext.Current.CancellationToken);
        Assert.Equal(word, result.StandardOutput);
    }

    [Fact]
    public void Safe_words_are_left_unquoted() => Assert.Equal("./a-b_c/d.txt", ShellQuoting.Quote("./a-b_c/d.txt"));
}
