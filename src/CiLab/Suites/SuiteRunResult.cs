using CiLab.Reporting;
using CiLab.Testing;

namespace CiLab.Suites;

/// <summary>A finished suite run: its results, the JUnit file written, and the time each phase took.</summary>
/// <param name="Report">The results (failures to run become error cases).</param>
/// <param name="JUnitPath">The JUnit file.</param>
/// <param name="Timeline">The earlier spans (restore, sync) and the suite's own, also recorded in the JUnit file.</param>
public sealed record SuiteRunResult(TestReport Report, string JUnitPath, IReadOnlyList<TimelineSpan> Timeline);
