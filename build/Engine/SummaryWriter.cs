using System.Globalization;

namespace CiLab.Build.Engine;

/// <summary>The table printed at the end of every run: target, status, duration, and why.</summary>
internal static class SummaryWriter
{
    public static void Write(TextWriter output, IReadOnlyList<TargetOutcome> outcomes)
    {
        var nameWidth = Math.Max(12, outcomes.Select(o => o.Name.Length).DefaultIfEmpty(0).Max()) + 2;
        var rule = new string('─', nameWidth + 24);
        output.WriteLine();
        output.WriteLine(rule);
        output.WriteLine($"{"Target".PadRight(nameWidth)}{"Status",-12}{"Duration",8}");
        output.WriteLine(rule);
        foreach (var outcome in outcomes)
        {
            var duration = outcome.Status is TargetStatus.Succeeded or TargetStatus.Failed ? Format(outcome.Duration) : "";
            var note = outcome.Note is null ? "" : $"   {outcome.Note}";
            output.WriteLine($"{outcome.Name.PadRight(nameWidth)}{outcome.Status,-12}{duration,8}{note}");
        }

        output.WriteLine(rule);
        var total = outcomes.Aggregate(TimeSpan.Zero, (sum, o) => sum + o.Duration);
        output.WriteLine($"{"Total".PadRight(nameWidth)}{"",-12}{Format(total),8}");
        output.WriteLine(rule);
    }

    private static string Format(TimeSpan duration) =>
        duration.TotalSeconds < 60
            ? duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s"
            : string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalMinutes}:{duration.Seconds:00}");
}
