using System.Xml.Linq;
using CiLab.Cli;

namespace CiLab.Cli.Tests;

public sealed class ResultsConvertTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cilab-cli-").FullName;
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    [Fact]
    public async Task Converting_failing_go_output_writes_junit_prints_the_failures_and_exits_1()
    {
        var junit = Path.Combine(_directory, "out.xml");
        var code = await Run("results", "convert", "--format", "go-test-json", "--output", junit, Fixture("go-mixed.json"));

        Assert.Equal(1, code);
        Assert.Contains("FAILED example.com/fixtures/mixed TestFails: 1+1 = 2, want 3", _output.ToString(), StringComparison.Ordinal);
        Assert.Contains("4 passed, 5 failed, 1 skipped", _output.ToString(), StringComparison.Ordinal);
        Assert.Equal(10, XDocument.Load(junit).Descendants("testcase").Count());
    }

    [Fact]
    public async Task Converting_passing_output_exits_0_and_writes_junit_to_standard_output_without_a_file()
    {
        var code = await Run("results", "convert", "-f", "go-test-json", Fixture("go-stdlib.json"));
        Assert.Equal(0, code);
        Assert.StartsWith("<?xml", _output.ToString(), StringComparison.Ordinal);
        Assert.Contains("0 failed", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tap_suite_is_named_after_its_file()
    {
        var junit = Path.Combine(_directory, "tap.xml");
        await Run("results", "convert", "--format", "tap", "-o", junit, Fixture("bats.tap"));
        Assert.Equal("bats", XDocument.Load(junit).Descendants("testsuite").Single().Attribute("name")!.Value);
    }

    [Fact]
    public async Task A_missing_input_exits_2_and_names_it()
    {
        var code = await Run("results", "convert", "--format", "tap", Path.Combine(_directory, "nope.tap"));
        Assert.Equal(2, code);
        Assert.Contains("cannot read", _error.ToString(), StringComparison.Ordinal);
        Assert.Contains("nope.tap", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Input_that_is_not_junit_exits_2()
    {
        var code = await Run("results", "convert", "--format", "junit", Fixture("bats.tap"));
        Assert.Equal(2, code);
        Assert.Contains("not well-formed JUnit XML", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_format_exits_2_and_lists_the_known_ones()
    {
        var code = await Run("results", "convert", "--format", "nunit", Fixture("bats.tap"));
        Assert.Equal(2, code);
        Assert.Contains("go-test-json", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_without_a_token_says_so_and_succeeds()
    {
        var junit = Path.Combine(_directory, "TestPhase4.xml");
        await Run("results", "convert", "--format", "tap", "-o", junit, Fixture("bats.tap"));
        var code = await Run("report", junit);
        if (Environment.GetEnvironmentVariable("GITHUB_TOKEN") is null && Environment.GetEnvironmentVariable("GH_TOKEN") is null)
        {
            Assert.Equal(0, code);
            Assert.Contains("No GitHub token", _output.ToString(), StringComparison.Ordinal);
        }
    }

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        _output.Dispose();
        _error.Dispose();
    }

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    private Task<int> Run(params string[] args) => CliApplication.RunAsync(args, _output, _error, TestContext.Current.CancellationToken);
}
