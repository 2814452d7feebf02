namespace CiLab.Scenarios;

/// <summary>One step of a <see cref="Scenario"/>: what runs on each VM, on which VMs, and what it needs first.</summary>
public sealed class ScenarioStep
{
    private readonly List<string> _dependencies = [];
    private readonly List<string> _vmNames = [];
    private readonly List<string> _sameAcrossVms = [];

    internal ScenarioStep(string name, Func<StepContext, CancellationToken, Task> body)
    {
        Name = string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("A step needs a name.", nameof(name)) : name;
        Body = body;
    }

    /// <summary>The step's name: the test case's name.</summary>
    public string Name { get; }

    /// <summary>The steps that must have passed on a VM for this one to run there.</summary>
    public IReadOnlyList<string> Dependencies => _dependencies;

    /// <summary>The VMs it runs on; empty means every VM of the run.</summary>
    public IReadOnlyList<string> VmNames => _vmNames;

    /// <summary>Values (set with <see cref="StepContext.Record"/>) that must come out equal on every VM.</summary>
    public IReadOnlyList<string> SameAcrossVms => _sameAcrossVms;

    /// <summary>The snapshot each VM is restored to before the step, if any.</summary>
    public string? Snapshot { get; private set; }

    /// <summary>How long the step may take on one VM (restore included).</summary>
    public TimeSpan Timeout { get; private set; } = TimeSpan.FromMinutes(5);

    /// <summary>Runs on the host once before the step (e.g. pushes the commit the VMs will pull).</summary>
    public Func<CancellationToken, Task>? HostSetup { get; private set; }

    internal Func<StepContext, CancellationToken, Task> Body { get; }

    /// <summary>Runs only on VMs where all of <paramref name="steps"/> passed; elsewhere it is reported skipped.</summary>
    public ScenarioStep DependsOn(params string[] steps)
    {
        _dependencies.AddRange(steps);
        return this;
    }

    /// <summary>Runs only on <paramref name="vms"/>.</summary>
    public ScenarioStep On(params string[] vms)
    {
        _vmNames.AddRange(vms);
        return this;
    }

    /// <summary>Restores each VM to <paramref name="snapshot"/> first, so the step starts from a known state.</summary>
    public ScenarioStep FromSnapshot(string snapshot)
    {
        Snapshot = snapshot;
        return this;
    }

    /// <summary>Limits the step's time on each VM.</summary>
    public ScenarioStep WithTimeout(TimeSpan timeout)
    {
        Timeout = timeout > TimeSpan.Zero ? timeout : throw new ArgumentOutOfRangeException(nameof(timeout), "A step's timeout must be positive.");
        return this;
    }

    /// <summary>Runs <paramref name="setup"/> on the host once before the step; if it fails, the step errs on every VM.</summary>
    public ScenarioStep BeforeOnHost(Func<CancellationToken, Task> setup)
    {
        HostSetup = setup;
        return this;
    }

    /// <summary>Fails the step on every VM unless the value recorded as <paramref name="key"/> is the same on all of them.</summary>
    public ScenarioStep ExpectSameAcrossVms(string key)
    {
        _sameAcrossVms.Add(key);
        return this;
    }
}
