namespace CiLab.Build.Engine;

/// <summary>What the engine learned from one target property.</summary>
internal sealed class TargetDefinition(string name, int declarationIndex) : ITargetDefinition
{
    public string Name { get; } = name;

    public int DeclarationIndex { get; } = declarationIndex;

    public string? Text { get; private set; }

    public List<Target> Dependencies { get; } = [];

    public List<Target> Predecessors { get; } = [];

    public bool IsAssured { get; private set; }

    public List<Func<CancellationToken, Task>> Actions { get; } = [];

    // Resolved by TargetGraph once every target is known.
    public List<TargetDefinition> DependencyTargets { get; } = [];

    public List<TargetDefinition> PredecessorTargets { get; } = [];

    public ITargetDefinition Description(string description)
    {
        Text = description;
        return this;
    }

    public ITargetDefinition DependsOn(params Target[] targets)
    {
        Dependencies.AddRange(targets);
        return this;
    }

    public ITargetDefinition After(params Target[] targets)
    {
        Predecessors.AddRange(targets);
        return this;
    }

    public ITargetDefinition AssuredAfterFailure()
    {
        IsAssured = true;
        return this;
    }

    public ITargetDefinition Executes(Action action)
    {
        Actions.Add(_ =>
        {
            action();
            return Task.CompletedTask;
        });
        return this;
    }

    public ITargetDefinition Executes(Func<CancellationToken, Task> action)
    {
        Actions.Add(action);
        return this;
    }
}
