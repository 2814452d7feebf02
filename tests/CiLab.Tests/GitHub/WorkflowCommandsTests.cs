using CiLab.GitHub;

namespace CiLab.Tests.GitHub;

public sealed class WorkflowCommandsTests
{
    [Fact]
    public void Messages_and_properties_are_escaped_as_the_runner_expects()
    {
        Assert.Equal("50%25 done%0D%0Anext", WorkflowCommands.EscapeData("50% done\r\nnext"));
        Assert.Equal("a%3Ab%2Cc", WorkflowCommands.EscapeProperty("a:b,c"));
    }

    [Fact]
    public void Annotations_stop_at_the_cap()
    {
        var output = new StringWriter();
        var commands = new WorkflowCommands(output, maxAnnotations: 2);
        Assert.True(commands.Error("one"));
        Assert.True(commands.Error("two"));
        Assert.False(commands.Error("three"));
        Assert.Equal(2, output.ToString().Split("::error").Length - 1);
    }

    [Fact]
    public void The_pull_request_head_is_preferred_to_the_merge_commit()
    {
        var eventPath = Path.GetTempFileName();
        try
        {
            File.WriteAllText(eventPath, """{"pull_request":{"head":{"sha":"aaaabbbbccccddddeeeeffff0000111122223333"}}}""");
            var context = GitHubContext.FromEnvironment(new Dictionary<string, string>
            {
                ["GITHUB_ACTIONS"] = "true",
                ["GITHUB_SHA"] = "merge0000000000000000000000000000000000",
                ["GITHUB_EVENT_PATH"] = eventPath,
                ["GITHUB_REPOSITORY"] = "octo/lab",
                ["GITHUB_SERVER_URL"] = "https://github.com",
                ["GITHUB_RUN_ID"] = "77",
                ["GITHUB_API_URL"] = "https://ghe.example/api/v3",
            });
            Assert.Equal("aaaabbbbccccddddeeeeffff0000111122223333", context.Sha);
            Assert.Equal(new Uri("https://github.com/octo/lab/actions/runs/77"), context.RunUrl);
            Assert.Equal(new Uri("https://ghe.example/api/v3/"), context.ApiUrl);
            Assert.True(context.IsActions);
            Assert.Null(context.Token);
        }
        finally
        {
            File.Delete(eventPath);
        }
    }
}
