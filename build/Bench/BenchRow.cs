namespace CiLab.Build.Bench;

/// <summary>One measurement, optionally against a baseline with a goal on the ratio (value / baseline).</summary>
internal sealed record BenchRow(string Name, double Value, string Unit, string? BaselineName = null, double? Baseline = null, double? MaxRatio = null)
{
    public double? Ratio => Baseline is > 0 ? Value / Baseline : null;

    public string Goal => MaxRatio is { } max ? $"≤ {max:0.##}×" : "";

    public bool? Met => MaxRatio is { } max && Ratio is { } ratio ? ratio <= max : null;
}
