namespace CiLab.Build.Engine;

/// <summary>
/// Marks a field or property of the build as a parameter. Its value comes from <c>--kebab-case</c> on the
/// command line, else an environment variable of the same name (case and underscores ignored), else
/// <c>.nuke/parameters.json</c>, else the member's initial value.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class ParameterAttribute(string description) : Attribute
{
    /// <summary>Shown by <c>--help</c> and in the schema.</summary>
    public string Description { get; } = description;
}
