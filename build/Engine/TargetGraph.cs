using System.Reflection;

namespace CiLab.Build.Engine;

/// <summary>The targets of a build class, and the ordered plan for a set of invoked targets.</summary>
internal sealed class TargetGraph
{
    private TargetGraph(IReadOnlyList<TargetDefinition> targets) => Targets = targets;

    public IReadOnlyList<TargetDefinition> Targets { get; }

    public static TargetGraph Discover(object build)
    {
        var properties = build.GetType()
            .GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(p => p.PropertyType == typeof(Target))
            .OrderBy(p => p.MetadataToken)
            .ToList();
        var delegates = properties.Select(p => (Target)p.GetValue(build)!).ToList();
        var definitions = properties.Select((p, i) => new TargetDefinition(p.Name, i)).ToList();
        for (var i = 0; i < definitions.Count; i++)
        {
            delegates[i](definitions[i]);
        }

        // A property returns a new delegate each time, but equal ones (same method, same instance):
        // that is how a Target passed to DependsOn is matched back to its property.
        TargetDefinition Resolve(Target target, TargetDefinition from)
        {
            var index = delegates.FindIndex(d => d.Equals(target));
            return index >= 0 ? definitions[index] : throw new BuildUsageException($"Target '{from.Name}' refers to a target that is not a property of the build.");
        }

        foreach (var definition in definitions)
        {
            definition.DependencyTargets.AddRange(definition.Dependencies.Select(t => Resolve(t, definition)));
            definition.PredecessorTargets.AddRange(definition.Predecessors.Select(t => Resolve(t, definition)));
        }

        return new TargetGraph(definitions);
    }

    public TargetDefinition Find(string name)
    {
        return Targets.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new BuildUsageException($"There is no target '{name}'.{Suggestions.DidYouMean(name, Targets.Select(t => t.Name))} Run with --help to list the targets.");
    }

    /// <summary>The invoked targets and everything they depend on, dependencies first, otherwise in declaration order.</summary>
    public IReadOnlyList<TargetDefinition> Plan(IReadOnlyList<TargetDefinition> invoked)
    {
        var included = new HashSet<TargetDefinition>();
        var pending = new Stack<TargetDefinition>(invoked);
        while (pending.TryPop(out var target))
        {
            if (included.Add(target))
            {
                target.DependencyTargets.ForEach(pending.Push);
            }
        }

        IEnumerable<TargetDefinition> Before(TargetDefinition t) =>
            t.DependencyTargets.Concat(t.PredecessorTargets.Where(included.Contains)).Distinct();

        var plan = new List<TargetDefinition>();
        var done = new HashSet<TargetDefinition>();
        while (plan.Count < included.Count)
        {
            var next = included
                .Where(t => !done.Contains(t) && Before(t).All(done.Contains))
                .OrderBy(t => t.DeclarationIndex)
                .FirstOrDefault();
            if (next is null)
            {
                var cycle = FindCycle(included.Where(t => !done.Contains(t)).ToList(), Before);
                throw new BuildUsageException($"The targets depend on each other in a cycle: {string.Join(" -> ", cycle.Select(t => t.Name))}.");
            }

            plan.Add(next);
            done.Add(next);
        }

        return plan;
    }

    private static List<TargetDefinition> FindCycle(List<TargetDefinition> stuck, Func<TargetDefinition, IEnumerable<TargetDefinition>> before)
    {
        // Every stuck target waits on another stuck one, so walking "waits on" edges must revisit a target.
        var path = new List<TargetDefinition>();
        var current = stuck.OrderBy(t => t.DeclarationIndex).First();
        while (!path.Contains(current))
        {
            path.Add(current);
            current = before(current).First(stuck.Contains);
        }

        // Read as "depends on": A -> B -> A.
        var cycle = path.Skip(path.IndexOf(current)).ToList();
        cycle.Add(cycle[0]);
        return cycle;
    }
}
