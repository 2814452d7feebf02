namespace CiLab.Labs;

/// <summary>One problem in a lab file, with where it is and which key it concerns.</summary>
/// <param name="File">The lab file.</param>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
/// <param name="Key">The key path, e.g. <c>vms[1].memory</c>.</param>
/// <param name="Message">What is wrong.</param>
public sealed record LabFileError(string File, int Line, int Column, string Key, string Message)
{
    /// <summary><c>lab.yaml:12:5: vms[1].memory: ...</c></summary>
    public override string ToString() => $"{File}:{Line}:{Column}: {Key}: {Message}";
}
