using CiLab.Processes;
using CiLab.Testing;

namespace CiLab.Suites;

/// <summary>
/// The <c>dotnet-test</c> suite format: the suite's <c>dotnet test</c> command line gets JunitXml.TestLogger's
/// <c>--logger junit</c> with a folder of its own (one file per test project and framework), and the files are read back.
/// </summary>
internal static class DotnetTestResults
{
    /// <summary>A fresh guest folder for one run's files, so an earlier run's files can never be read as this one's.</summary>
    public static string NewGuestDirectory() => $"/tmp/cilab-dotnet-test-{Guid.NewGuid():N}";

    /// <summary><paramref name="run"/> with the junit logger writing into <paramref name="guestDirectory"/>.</summary>
    public static string CommandLine(string run, string guestDirectory) =>
        $"{run} --logger {ShellQuoting.Quote($"junit;LogFilePath={guestDirectory}/{{assembly}}.{{framework}}.xml")}";

    /// <summary>Every JUnit file in <paramref name="hostDirectory"/>, merged.</summary>
    /// <exception cref="InvalidDataException">There is none, or one is not JUnit XML.</exception>
    public static TestReport Read(string hostDirectory)
    {
        var files = Directory.Exists(hostDirectory) ? Directory.GetFiles(hostDirectory, "*.xml").Order(StringComparer.Ordinal).ToList() : [];
        if (files.Count == 0)
        {
            throw new InvalidDataException("dotnet test wrote no JUnit file (each test project needs a reference to the JunitXml.TestLogger package, and the run must use VSTest).");
        }

        return files.Aggregate(new TestReport([]), (report, file) => report.Merge(JUnitReader.ReadFile(file)));
    }
}
