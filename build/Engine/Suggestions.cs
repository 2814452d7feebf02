namespace CiLab.Build.Engine;

/// <summary>"Did you mean" for mistyped target and parameter names.</summary>
internal static class Suggestions
{
    public static string DidYouMean(string input, IEnumerable<string> candidates)
    {
        var all = candidates.ToList();
        var best = all
            .Select(c => (Candidate: c, Distance: Distance(input.ToLowerInvariant(), c.ToLowerInvariant())))
            .OrderBy(x => x.Distance)
            .FirstOrDefault();
        var tolerance = Math.Max(2, input.Length / 3);
        if (best.Candidate is not null && best.Distance <= tolerance)
        {
            return $" Did you mean '{best.Candidate}'?";
        }

        // Nothing close: naming what exists is the most useful suggestion left.
        return all.Count > 0 ? $" Known: {string.Join(", ", all)}." : string.Empty;
    }

    // Levenshtein distance: small inputs, so the plain table is fine.
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            }
        }

        return d[a.Length, b.Length];
    }
}
