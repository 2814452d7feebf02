using CiLab.Testing;

namespace CiLab.Tests.Testing;

public sealed class TestTallyTests
{
    [Fact]
    public void Each_parser_counts_cases_as_their_results_stream_in_before_the_stream_ends()
    {
        var json = TestOutputParser.Create(TestOutputFormat.GoTestJson, "s");
        json.ReadLine("""{"Action":"run","Package":"p","Test":"TestA"}""");
        json.ReadLine("""{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0.1}""");
        json.ReadLine("""{"Action":"run","Package":"p","Test":"TestB"}""");
        json.ReadLine("""{"Action":"fail","Package":"p","Test":"TestB","Elapsed":0.1}""");
        json.ReadLine("""{"Action":"run","Package":"p","Test":"TestC"}""");
        Assert.Equal((1, 1, 0), (json.Tally.Passed, json.Tally.Failed, json.Tally.Skipped));

        var text = TestOutputParser.Create(TestOutputFormat.GoTestText, "s");
        text.ReadLine("=== RUN   TestA");
        text.ReadLine("--- SKIP: TestA (0.00s)");
        Assert.Equal("0 passed, 0 failed, 1 skipped", text.Tally.ToString());

        var tap = TestOutputParser.Create(TestOutputFormat.Tap, "s");
        foreach (var line in new[] { "1..3", "ok 1 - a", "not ok 2 - b", "ok 3 - c # SKIP no kvm", "# done" })
        {
            tap.ReadLine(line);
        }

        // A TAP point ends when the next begins (diagnostics may follow it), so the last one counts at the end.
        Assert.Equal((1, 1, 0), (tap.Tally.Passed, tap.Tally.Failed, tap.Tally.Skipped));
        tap.Complete();
        Assert.Equal((1, 1, 1), (tap.Tally.Passed, tap.Tally.Failed, tap.Tally.Skipped));

        // TestC never ended: the report makes it an error, which the tally (progress only) had not counted.
        var report = json.Complete();
        Assert.Equal(2, report.Failed + report.Errored);
    }
}
