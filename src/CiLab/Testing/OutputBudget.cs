namespace CiLab.Testing;

/// <summary>
/// How much test output one parser keeps in memory, shared by all its cases: each case is bounded on its own, but a
/// hostile stream of a million failing tests would still exhaust the host. Past the budget, output is dropped (and the
/// cases say so); the outcomes are still read.
/// </summary>
internal sealed class OutputBudget(long characters)
{
    /// <summary>64 Mi characters: far beyond what real suites keep (passed cases keep 512 each).</summary>
    public const long Default = 64L * 1024 * 1024;

    private long _left = characters;

    public bool TryTake(int count)
    {
        if (_left < count)
        {
            return false;
        }

        _left -= count;
        return true;
    }

    /// <summary>Takes even past the budget: for what a finished case keeps, which is already bounded.</summary>
    public void Take(int count) => _left -= count;

    public void Give(int count) => _left += count;
}
