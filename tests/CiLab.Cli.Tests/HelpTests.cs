using System.CommandLine;
using CiLab.Cli;

namespace CiLab.Cli.Tests;

public sealed class HelpTests
{
    public static TheoryData<string> Verbs()
    {
        var data = new TheoryData<string>();
        void Walk(Command command, string path)
        {
            foreach (var sub in command.Subcommands)
            {
                data.Add((path + " " + sub.Name).Trim());
                Walk(sub, path + " " + sub.Name);
            }
        }

        Walk(CliApplication.CreateRootCommand(TextWriter.Null, TextWriter.Null), string.Empty);
        return data;
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public async Task Every_verb_help_shows_examples_of_itself(string verb)
    {
        var output = new StringWriter();
        var code = await CliApplication.RunAsync([.. verb.Split(' '), "--help"], output, new StringWriter(), TestContext.Current.CancellationToken);

        Assert.Equal(0, code);
        var help = output.ToString();
        Assert.Contains("Examples:", help, StringComparison.Ordinal);
        Assert.Contains($"  cilab {verb.Split(' ')[0]}", help, StringComparison.Ordinal);
    }
}
