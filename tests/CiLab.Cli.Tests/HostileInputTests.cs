using CiLab.Cli;

namespace CiLab.Cli.Tests;

/// <summary>
/// Malformed and hostile input through the command line, as a user or a guest would feed it: an exit code of 1 (a test
/// failed) or 2 (unreadable input), one clear line, no stack trace, and never a pass for a failure.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cilab-hostile-").FullName;
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        _output.Dispose();
        _error.Dispose();
    }

    public static TheoryData<string, string, int, string> Results() => new()
    {
        { "junit", """<testsuite name="s"><testcase name="t"><system-out>log</system-out><failure message="x">boom</failure></testcase></testsuite>""", 1, "FAILED s t: x" },
        { "junit", """<testsuite name="s" failures="2"><testcase name="t"/></testsuite>""", 1, "declares 2 failures" },
        { "junit", """<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><testsuite name="&e;"/>""", 2, "DTD" },
        { "junit", "\u0001\u0002 not xml at all", 2, "not well-formed" },
        { "junit", "<testsuites><testsuite name='s'><testcase name='t'>", 2, "not well-formed" },
        { "go-test-json", """{"Action":"run","Package":"p","Test":"T"}""" + "\n" + """{"Action":"pass","Package":"p","Test":"T","Elapsed":"soon"}""", 1, "ERRORED p T" },
        { "go-test-json", """{"Action":"output","Package":"p","Test":"T","Output":{"nested":[1,2]}}""" + "\n" + """{"Action":"fail","Package":"p","Elapsed":1e999}""", 1, "ERRORED" },
        { "go-test-json", "{{{{{{{{", 1, "ERRORED go test (output)" },
        { "go-test-text", "=== RUN   TestX\n--- PASS: TestX (1e999.00s)\n--- FAIL: TestY (99999999999999999999999999.5s)\nFAIL\tp\t0.1s", 1, "FAILED" },
        { "tap", "1..99999999999999999999\nok 1", 1, "asks for more tests than can exist" },
        { "tap", "1..2\nok 1\nnot ok 2 # TODO\n  ---\n  line: 99999999999999999999999\n  ...\nBail out! gone", 1, "Bail out!" },
    };

    [Theory]
    [MemberData(nameof(Results))]
    public async Task Malformed_results_exit_1_or_2_with_a_clear_line_and_no_stack_trace(string format, string content, int expected, string says)
    {
        var input = Path.Combine(_directory, "input");
        await File.WriteAllTextAsync(input, content, TestContext.Current.CancellationToken);
        var code = await Run("results", "convert", "--format", format, "--output", Path.Combine(_directory, "out.xml"), input);
        Assert.True(code == expected, $"exit {code}, expected {expected}\n{_output}\n{_error}");
        Assert.Contains(says, _output.ToString() + _error, StringComparison.Ordinal);
        AssertNoStackTrace();
        if (expected == 2)
        {
            Assert.Single(_error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
    }

    public static TheoryData<string, string> Labs() => new()
    {
        { "images:\n  - name: d\n    recipe: debian\nvms:\n  - name: ../../escape\n    image: d\n", "vms[0].name" },
        { "images:\n  - name: d\n    recipe: debian\nvms:\n  - name: a\n    image: d\n    user: \"-oProxyCommand=touch /tmp/owned\"\n", "vms[0].user" },
        { "images:\n  - name: d\n    recipe: debian\nvms:\n  - name: a\n    image: d\nsuites:\n  - name: s\n    vm: a\n    run: x\n    artifacts: [\"../../../etc\"]\n", "suites[0].artifacts[0]" },
        { "vms: [\n", "(syntax)" },
        { "- just\n- a list\n", "(root)" },
        { "images:\n  - name: d\n    recipe: debian\nvms:\n  - name: a\n    image: d\n    boot-timeout: 99999999999999999999999h\n", "vms[0].boot-timeout" },
    };

    [Theory]
    [MemberData(nameof(Labs))]
    public async Task A_hostile_lab_file_is_refused_naming_line_and_key_and_nothing_is_written(string yaml, string key)
    {
        var lab = Path.Combine(_directory, "lab", "lab.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(lab)!);
        await File.WriteAllTextAsync(lab, yaml, TestContext.Current.CancellationToken);
        foreach (var verb in new[] { "status", "destroy" })
        {
            _error.GetStringBuilder().Clear();
            var code = await Run("vm", verb, "--lab", lab, "--yes");
            Assert.True(code == 1, $"vm {verb}: exit {code}\n{_error}");
            Assert.Contains($"{lab}:", _error.ToString(), StringComparison.Ordinal);
            Assert.Contains(key, _error.ToString(), StringComparison.Ordinal);
            AssertNoStackTrace();
        }

        Assert.Equal([lab], Directory.GetFileSystemEntries(Path.GetDirectoryName(lab)!));
        Assert.Equal(["lab"], Directory.GetFileSystemEntries(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Status_of_a_lab_whose_image_was_never_built_builds_nothing_and_writes_nothing()
    {
        var lab = Path.Combine(_directory, "lab.yaml");
        await File.WriteAllTextAsync(lab, "images:\n  - name: d\n    recipe: debian\nvms:\n  - name: a\n    image: d\n", TestContext.Current.CancellationToken);
        var code = await Run("vm", "status", "--lab", lab);
        Assert.True(code == 0, _error.ToString());
        Assert.Contains("Stopped", _output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Building", _output.ToString(), StringComparison.Ordinal);
        Assert.Equal([lab], Directory.GetFileSystemEntries(_directory));
    }

    private void AssertNoStackTrace()
    {
        var all = _output.ToString() + _error;
        Assert.DoesNotContain("   at ", all, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception:", all, StringComparison.Ordinal);
        Assert.DoesNotContain("this is a bug in cilab", all, StringComparison.Ordinal);
    }

    private Task<int> Run(params string[] args) => CliApplication.RunAsync(args, _output, _error, TestContext.Current.CancellationToken);
}
