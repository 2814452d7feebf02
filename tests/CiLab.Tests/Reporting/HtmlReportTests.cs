using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using CiLab.Reporting;
using CiLab.Testing;

namespace CiLab.Tests.Reporting;

// What a browser then does with the page is tested in the integration tests, in headless Chromium.
public sealed partial class HtmlReportTests
{
    private const string Hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";

    [Fact]
    public void Test_output_is_text_on_the_page_never_markup_and_the_policy_admits_only_the_page_own_style_and_script()
    {
        var report = new TestReport([new TestSuiteResult
        {
            Name = "pkg",
            Cases = [new TestCaseResult { ClassName = "pkg", Name = Hostile, Outcome = TestOutcome.Failed, Message = Hostile, Output = Hostile, File = "a\"b.go", Line = 3 }],
        }]);

        var html = HtmlReport.Render("run " + Hostile, [new("phase4", report)]);

        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Single(ScriptTags().Matches(html));
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("a&quot;b.go:3", html, StringComparison.Ordinal);
        var policy = Policy().Match(html);
        Assert.True(policy.Success, "no content security policy");
        Assert.Contains("default-src 'none'", policy.Groups[1].Value, StringComparison.Ordinal);
        Assert.Contains($"script-src '{Hash(Between(html, "<script>", "</script>"))}'", policy.Groups[1].Value, StringComparison.Ordinal);
        Assert.Contains($"style-src '{Hash(Between(html, "<style>", "</style>"))}'", policy.Groups[1].Value, StringComparison.Ordinal);
        Assert.DoesNotContain("http", policy.Groups[1].Value, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scenario_becomes_a_step_by_vm_grid_and_a_long_output_keeps_its_end()
    {
        var output = string.Join('\n', Enumerable.Range(1, HtmlReport.OutputLines + 50).Select(i => $"line {i}"));
        TestSuiteResult Vm(string vm, TestOutcome reboot) => new()
        {
            Name = $"TestUpgrade.{vm}",
            Properties = new Dictionary<string, string> { ["vm"] = vm, ["scenario"] = "TestUpgrade" },
            Cases =
            [
                new TestCaseResult { ClassName = $"TestUpgrade.{vm}", Name = "installs", Outcome = TestOutcome.Passed },
                new TestCaseResult { ClassName = $"TestUpgrade.{vm}", Name = "reboots", Outcome = reboot, Message = "did not come back", Output = output },
            ],
        };

        var html = HtmlReport.Render("upgrade", [new("TestUpgrade", new TestReport([Vm("sorrow", TestOutcome.Passed), Vm("torment", TestOutcome.Errored)]))]);

        Assert.Contains("<th>Step</th><th>sorrow</th><th>torment</th>", html, StringComparison.Ordinal);
        Assert.Contains("<tr data-outcome=\"passed failed errored\"><td>reboots</td>", html, StringComparison.Ordinal);
        Assert.Contains("… 50 earlier lines\nline 51\n", html, StringComparison.Ordinal);
        Assert.DoesNotContain("line 50\n", html, StringComparison.Ordinal);
    }

    private static string Between(string text, string open, string close)
    {
        var start = text.IndexOf(open, StringComparison.Ordinal) + open.Length;
        return text[start..text.IndexOf(close, start, StringComparison.Ordinal)];
    }

    private static string Hash(string content) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    [GeneratedRegex("<script[ >]")]
    private static partial Regex ScriptTags();

    [GeneratedRegex("http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\"")]
    private static partial Regex Policy();
}
