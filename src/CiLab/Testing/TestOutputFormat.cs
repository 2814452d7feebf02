namespace CiLab.Testing;

/// <summary>What a suite's output looks like, so the right parser reads it.</summary>
public enum TestOutputFormat
{
    /// <summary><c>go test -json</c> events.</summary>
    GoTestJson,

    /// <summary>Plain <c>go test -v</c> text.</summary>
    GoTestText,

    /// <summary>Test Anything Protocol, versions 12 to 14.</summary>
    Tap,

    /// <summary>A JUnit XML file written by the suite itself.</summary>
    JUnit,

    /// <summary>No structure: one case that passes when the command exits 0.</summary>
    ExitCode,

    /// <summary>
    /// A <c>dotnet test</c> command line (VSTest): CiLab adds <c>--logger junit</c> with a fresh guest folder for the files
    /// and reads every test project's file from there. The test projects reference the JunitXml.TestLogger package.
    /// </summary>
    DotnetTest,
}
