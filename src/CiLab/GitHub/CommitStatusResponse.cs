namespace CiLab.GitHub;

/// <summary>A commit status as GitHub returns it.</summary>
/// <param name="Id">Its id.</param>
/// <param name="State">Its state, as GitHub spells it.</param>
/// <param name="Context">Its context.</param>
/// <param name="Url">Its API URL.</param>
public sealed record CommitStatusResponse(long Id, string State, string? Context, Uri? Url);
