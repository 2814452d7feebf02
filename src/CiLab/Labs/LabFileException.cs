namespace CiLab.Labs;

/// <summary>A lab file has errors; all of them are listed, each with file, line, column and key.</summary>
public sealed class LabFileException(IReadOnlyList<LabFileError> errors)
    : CiLabException($"The lab file has {errors.Count} error(s):{Environment.NewLine}{string.Join(Environment.NewLine, errors.Select(e => "  " + e))}")
{
    /// <summary>Every error found.</summary>
    public IReadOnlyList<LabFileError> Errors { get; } = errors;
}
