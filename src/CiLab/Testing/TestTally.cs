namespace CiLab.Testing;

/// <summary>
/// Cases counted as a parser reads them, for progress while a suite streams; the final report (which also turns
/// tests that never ended into errors) is what counts.
/// </summary>
public sealed class TestTally
{
    private int _passed;
    private int _failed;
    private int _skipped;

    /// <summary>Cases that passed so far.</summary>
    public int Passed => Volatile.Read(ref _passed);

    /// <summary>Cases that failed or erred so far.</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Cases skipped so far.</summary>
    public int Skipped => Volatile.Read(ref _skipped);

    /// <summary>All cases ended so far.</summary>
    public int Total => Passed + Failed + Skipped;

    /// <summary>"N passed, N failed, N skipped".</summary>
    public override string ToString() => $"{Passed} passed, {Failed} failed, {Skipped} skipped";

    internal void Add(TestOutcome outcome)
    {
        switch (outcome)
        {
            case TestOutcome.Passed:
                Interlocked.Increment(ref _passed);
                break;
            case TestOutcome.Skipped:
                Interlocked.Increment(ref _skipped);
                break;
            default:
                Interlocked.Increment(ref _failed);
                break;
        }
    }
}
