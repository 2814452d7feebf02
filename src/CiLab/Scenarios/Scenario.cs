using CiLab.Machines;

namespace CiLab.Scenarios;

/// <summary>
/// A named sequence of steps run over one or more VMs, each step on every VM it names (in parallel when asked),
/// every step × VM reported as a test case. Steps run in order; a step whose dependency failed on a VM is reported
/// skipped on that VM with the reason, never run and never passed.
/// </summary>
/// <example>
/// <code>
/// var scenario = new Scenario("smoke");
/// scenario.Step("ssh answers", (vm, ct) => vm.ShouldSucceedAsync("true", ct));
/// scenario.Step("link down is survived", async (vm, ct) => { ... }).DependsOn("ssh answers");
/// var result = await scenario.RunAsync(machines, new ScenarioRunOptions(), ct);
/// </code>
/// </example>
public sealed class Scenario(string name)
{
    private readonly List<ScenarioStep> _steps = [];

    /// <summary>The scenario's name (the JUnit suites are called name.vm).</summary>
    public string Name { get; } = string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("A scenario needs a name.", nameof(name)) : name;

    /// <summary>Its steps, in the order they run.</summary>
    public IReadOnlyList<ScenarioStep> Steps => _steps;

    /// <summary>Adds a step that runs <paramref name="body"/> on each of its VMs; configure it through the returned step.</summary>
    public ScenarioStep Step(string stepName, Func<StepContext, CancellationToken, Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (_steps.Any(s => s.Name == stepName))
        {
            throw new ArgumentException($"Scenario '{Name}' already has a step '{stepName}'.", nameof(stepName));
        }

        var step = new ScenarioStep(stepName, body);
        _steps.Add(step);
        return step;
    }

    /// <summary>Runs every step over <paramref name="machines"/> (running VMs, from any backend) and reports each step × VM.</summary>
    /// <exception cref="ArgumentException">A step depends on a step that does not come before it, or names a VM not given.</exception>
    public Task<ScenarioResult> RunAsync(IReadOnlyList<IMachine> machines, ScenarioRunOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(machines);
        ArgumentNullException.ThrowIfNull(options);
        Validate(machines);
        return new ScenarioRunner(this, machines, options).RunAsync(cancellationToken);
    }

    private void Validate(IReadOnlyList<IMachine> machines)
    {
        var errors = new List<string>();
        if (machines.Count == 0)
        {
            errors.Add($"Scenario '{Name}' was given no VMs.");
        }

        for (var i = 0; i < _steps.Count; i++)
        {
            var step = _steps[i];
            errors.AddRange(step.Dependencies
                .Where(d => !_steps.Take(i).Any(s => s.Name == d))
                .Select(d => _steps.Any(s => s.Name == d)
                    ? $"Step '{step.Name}' depends on '{d}', which comes after it."
                    : $"Step '{step.Name}' depends on '{d}', which is not a step of scenario '{Name}'."));
            errors.AddRange(step.VmNames.Where(v => machines.All(m => m.Name != v)).Select(v => $"Step '{step.Name}' runs on VM '{v}', which the scenario was not given."));
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors));
        }
    }
}
