namespace CiLab.GitHub;

/// <summary>One annotation on a check run: a message pinned to a file and line range.</summary>
/// <param name="Path">The file, relative to the repository root.</param>
/// <param name="StartLine">The first line.</param>
/// <param name="EndLine">The last line.</param>
/// <param name="AnnotationLevel">Its severity.</param>
/// <param name="Message">What went wrong.</param>
/// <param name="Title">A short title.</param>
/// <param name="RawDetails">More output, shown folded.</param>
public sealed record CheckAnnotation(string Path, int StartLine, int EndLine, CheckAnnotationLevel AnnotationLevel, string Message, string? Title = null, string? RawDetails = null);
