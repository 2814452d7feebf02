namespace CiLab.GitHub;

/// <summary>A check run as GitHub returns it.</summary>
/// <param name="Id">Its id, used to update it.</param>
/// <param name="Name">Its name.</param>
/// <param name="Status">queued, in_progress or completed.</param>
/// <param name="Conclusion">Its conclusion, once completed.</param>
/// <param name="HtmlUrl">Its page.</param>
public sealed record CheckRunResponse(long Id, string Name, string Status, string? Conclusion, Uri? HtmlUrl);
