namespace CiLab.Build.Engine.Tests;

public sealed class ParameterTests : IDisposable
{
    private readonly BuildHarness _harness = new();

    [Fact]
    public async Task The_command_line_wins_over_environment_and_parameters_file()
    {
        _harness.Environment["GREETING"] = "from-env";
        _harness.WriteParametersFile("""{ "Greeting": "from-file" }""");
        var build = new SampleBuild();
        await _harness.RunAsync(build, "Restore", "--greeting", "from-args");
        Assert.Equal("from-args", build.Greeting);
    }

    [Fact]
    public async Task The_environment_wins_over_the_parameters_file_with_case_and_underscores_ignored()
    {
        _harness.Environment["KEEP_VM"] = "true";
        _harness.WriteParametersFile("""{ "KeepVm": false, "Count": 7 }""");
        var build = new SampleBuild();
        await _harness.RunAsync(build, "Restore");
        Assert.True(build.KeepVm);
        Assert.Equal(7, build.Count);
    }

    [Fact]
    public async Task Unset_parameters_keep_their_initial_values()
    {
        var build = new SampleBuild();
        await _harness.RunAsync(build, "Restore");
        Assert.Equal("hello", build.Greeting);
        Assert.Equal(1, build.Count);
    }

    [Fact]
    public async Task Flags_lists_and_numbers_are_converted()
    {
        var build = new SampleBuild();
        var result = await _harness.RunAsync(build, "Restore", "--keep-vm", "--count", "3", "--suites", "a,b", "c");
        Assert.Equal(0, result.ExitCode);
        Assert.True(build.KeepVm);
        Assert.Equal(3, build.Count);
        Assert.Equal(["a", "b", "c"], build.Suites);
    }

    [Fact]
    public async Task An_unknown_parameter_exits_2_with_a_suggestion()
    {
        var build = new SampleBuild();
        var result = await _harness.RunAsync(build, "Restore", "--keepvm");
        Assert.Equal(2, result.ExitCode);
        Assert.Empty(build.Ran);
        Assert.Contains("Unknown parameter '--keepvm'. Did you mean '--keep-vm'?", _harness.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_value_names_the_parameter_and_what_it_expects()
    {
        var result = await _harness.RunAsync(new SampleBuild(), "Restore", "--count", "many");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--count: 'many' is not a valid value for Count (expected Int32)", _harness.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_key_in_the_parameters_file_is_a_usage_error()
    {
        _harness.WriteParametersFile("""{ "$schema": "./build.schema.json", "Greting": "x" }""");
        var result = await _harness.RunAsync(new SampleBuild(), "Restore");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown parameter 'Greting'. Did you mean 'Greeting'?", _harness.Output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("KeepVm", "keep-vm")]
    [InlineData("TestFilter", "test-filter")]
    [InlineData("SshURL", "ssh-url")]
    [InlineData("Configuration", "configuration")]
    public void Member_names_become_kebab_case_options(string name, string option) =>
        Assert.Equal(option, BuildParameter.ToKebabCase(name));

    [Fact]
    public async Task The_schema_lists_parameters_with_types_and_the_target_names()
    {
        var build = new SchemaBuild();
        await _harness.RunAsync(build, "Write");
        using var schema = System.Text.Json.JsonDocument.Parse(build.Schema!);
        var properties = schema.RootElement.GetProperty("properties");
        Assert.Equal("integer", properties.GetProperty("Count").GetProperty("type").GetString());
        Assert.Equal("boolean", properties.GetProperty("KeepVm").GetProperty("type").GetString());
        Assert.Equal("array", properties.GetProperty("Suites").GetProperty("type").GetString());
        var targets = properties.GetProperty("Target").GetProperty("items").GetProperty("enum").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("Write", targets);
        Assert.Contains("Compile", targets);
    }

    public void Dispose() => _harness.Dispose();

    private sealed class SchemaBuild : SampleBuild
    {
        public string? Schema { get; private set; }

        public Target Write => _ => _.Executes(() => Schema = BuildSchemaJson());
    }
}
