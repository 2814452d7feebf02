using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CiLab.Build.Bench;

/// <summary>The benchmark results of one run: each row a measurement beside its plain-shell baseline, written as Markdown and JSON.</summary>
internal sealed class BenchTable
{
    private readonly List<BenchRow> _rows = [];

    public void Add(BenchRow row)
    {
        _rows.Add(row);
        Console.WriteLine($"  {row.Name}: {row.Value:0.###} {row.Unit}" + (row.Baseline is { } b ? $" vs {row.BaselineName} {b:0.###} {row.Unit} (ratio {row.Ratio:0.00}, goal {row.Goal})" : ""));
    }

    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var text = new StringBuilder();
        text.AppendLine("# CiLab benchmarks");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.MachineName}, {Environment.ProcessorCount} cores. Ratios compare against the plain way, measured in the same run.");
        text.AppendLine();
        text.AppendLine("| measurement | value | baseline (plain way) | baseline value | ratio | goal | met |");
        text.AppendLine("|---|---:|---|---:|---:|---|---|");
        foreach (var row in _rows)
        {
            var baseline = row.Baseline is { } b ? b.ToString("0.###", CultureInfo.InvariantCulture) + " " + row.Unit : "";
            var ratio = row.Ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "";
            var met = row.Met switch { true => "yes", false => "**no**", null => "" };
            text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Name} | {row.Value:0.###} {row.Unit} | {row.BaselineName} | {baseline} | {ratio} | {row.Goal} | {met} |");
        }

        File.WriteAllText(Path.Combine(directory, "results.md"), text.ToString());
        File.WriteAllText(Path.Combine(directory, "results.json"), JsonSerializer.Serialize(_rows, new JsonSerializerOptions { WriteIndented = true }));
    }
}
