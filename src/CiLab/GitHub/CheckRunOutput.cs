namespace CiLab.GitHub;

/// <summary>What a check run shows: a title, a Markdown summary and text, and annotations.</summary>
/// <param name="Title">The title.</param>
/// <param name="Summary">The summary (Markdown).</param>
/// <param name="Text">More detail (Markdown).</param>
/// <param name="Annotations">Annotations; the client sends them 50 per request, as GitHub requires.</param>
public sealed record CheckRunOutput(string Title, string Summary, string? Text = null, IReadOnlyList<CheckAnnotation>? Annotations = null);
