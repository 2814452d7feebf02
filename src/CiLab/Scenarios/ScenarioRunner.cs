using System.Diagnostics;
using System.Globalization;
using CiLab.Host;
using CiLab.Machines;
using CiLab.Reporting;
using CiLab.Testing;
using Microsoft.Extensions.Logging;

namespace CiLab.Scenarios;

/// <summary>Runs a scenario's steps in order, each on its VMs (at once when parallel), and turns every step × VM into a case.</summary>
internal sealed class ScenarioRunner(Scenario scenario, IReadOnlyList<IMachine> machines, ScenarioRunOptions options)
{
    private readonly Dictionary<(string Step, string Vm), TestCaseResult> _results = [];
    private readonly Dictionary<string, TimeSpan> _machineTime = machines.ToDictionary(m => m.Name, _ => TimeSpan.Zero);
    private readonly Dictionary<string, TimeSpan> _busyTime = machines.ToDictionary(m => m.Name, _ => TimeSpan.Zero);
    private readonly List<TimelineSpan> _timeline = [];
    private readonly ILogger _log = options.Log;

    public async Task<ScenarioResult> RunAsync(CancellationToken cancellationToken)
    {
        var wall = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        foreach (var step in scenario.Steps)
        {
            await RunStepAsync(step, cancellationToken).ConfigureAwait(false);
        }

        var suites = machines.Select(vm => new TestSuiteResult
        {
            Name = $"{scenario.Name}.{vm.Name}",
            Cases = [.. scenario.Steps.Where(s => _results.ContainsKey((s.Name, vm.Name))).Select(s => _results[(s.Name, vm.Name)])],
            Timestamp = started,
            Duration = _busyTime[vm.Name],
            Properties = new Dictionary<string, string> { ["vm"] = vm.Name, ["image"] = vm.ImageId, ["parallel"] = options.Parallel ? "true" : "false", ["scenario"] = scenario.Name },
        });
        var timeline = _timeline.OrderBy(s => s.Start).ToList();
        return new ScenarioResult(Timeline.Attach(new TestReport([.. suites]), timeline), wall.Elapsed, _machineTime, _busyTime) { Timeline = timeline };
    }

    private async Task RunStepAsync(ScenarioStep step, CancellationToken cancellationToken)
    {
        var runnable = new List<IMachine>();
        foreach (var vm in machines.Where(m => step.VmNames.Count == 0 || step.VmNames.Contains(m.Name)))
        {
            if (Blocker(step, vm) is { } reason)
            {
                Record(step, vm, TestOutcome.Skipped, reason, string.Empty, TimeSpan.Zero);
            }
            else
            {
                runnable.Add(vm);
            }
        }

        if (runnable.Count == 0)
        {
            return;
        }

        if (step.HostSetup is not null)
        {
            try
            {
                await step.HostSetup(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                runnable.ForEach(vm => Record(step, vm, TestOutcome.Errored, $"The step's setup on the host failed: {e.Message}", e.ToString(), TimeSpan.Zero));
                return;
            }
        }

        var contexts = runnable.Select(vm => new StepContext(vm, step.Name, options.EchoOutput ? line => _log.Line($"[{vm.Name}] {line}") : null)).ToList();
        var outcomes = new List<(TestOutcome Outcome, string? Message, TimeSpan Duration)>();
        if (options.Parallel)
        {
            outcomes.AddRange(await Task.WhenAll(contexts.Select(c => RunOnAsync(step, c, cancellationToken))).ConfigureAwait(false));
        }
        else
        {
            foreach (var context in contexts)
            {
                outcomes.Add(await RunOnAsync(step, context, cancellationToken).ConfigureAwait(false));
            }
        }

        foreach (var key in step.SameAcrossVms)
        {
            var values = contexts.Select(c => (c.VmName, Value: c.Recorded(key))).ToList();
            if (values.Select(v => v.Value).Distinct().Count() > 1 || values.Any(v => v.Value is null))
            {
                var message = $"'{key}' differs across VMs: {string.Join(", ", values.Select(v => $"{v.VmName}={v.Value ?? "(not recorded)"}"))}";
                for (var i = 0; i < outcomes.Count; i++)
                {
                    outcomes[i] = outcomes[i].Outcome == TestOutcome.Passed ? (TestOutcome.Failed, message, outcomes[i].Duration) : outcomes[i];
                }
            }
        }

        for (var i = 0; i < contexts.Count; i++)
        {
            var (outcome, message, duration) = outcomes[i];
            Record(step, contexts[i].Vm, outcome, message, contexts[i].Output, duration);
            var machineWork = contexts[i].MachineWork;
            _machineTime[contexts[i].VmName] += machineWork.Aggregate(TimeSpan.Zero, (sum, w) => sum + w.Duration);
            _busyTime[contexts[i].VmName] += duration;
            _timeline.Add(new TimelineSpan(contexts[i].VmName, step.Name, contexts[i].Started, duration, outcome));
            _timeline.AddRange(machineWork);
        }
    }

    private async Task<(TestOutcome Outcome, string? Message, TimeSpan Duration)> RunOnAsync(ScenarioStep step, StepContext context, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(step.Timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var clock = Stopwatch.StartNew();
        context.Started = DateTimeOffset.UtcNow;
        try
        {
            if (step.Snapshot is { } snapshot)
            {
                await context.Faults.RestoreAsync(snapshot, linked.Token).ConfigureAwait(false);
            }

            await step.Body(context, linked.Token).ConfigureAwait(false);
            return (TestOutcome.Passed, null, clock.Elapsed);
        }
        catch (Exception e) when (e is ScenarioAssertionException or GuestCommandFailedException or TimeoutException)
        {
            return (TestOutcome.Failed, e.Message, clock.Elapsed);
        }
        catch (CapabilityMissingException e)
        {
            return (TestOutcome.Errored, e.Message, clock.Elapsed);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return (TestOutcome.Errored, $"The step did not finish within {step.Timeout.TotalSeconds:0.#}s.", clock.Elapsed);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            context.Log(e.ToString());
            return (TestOutcome.Errored, $"{e.GetType().Name}: {e.Message}", clock.Elapsed);
        }
    }

    private string? Blocker(ScenarioStep step, IMachine vm)
    {
        foreach (var dependency in step.Dependencies)
        {
            var result = _results.GetValueOrDefault((dependency, vm.Name));
            if (result is null)
            {
                return $"Not run: it depends on '{dependency}', which did not run on VM '{vm.Name}'.";
            }

            if (result.Outcome != TestOutcome.Passed)
            {
                var verb = result.Outcome switch { TestOutcome.Skipped => "was skipped", TestOutcome.Errored => "erred", _ => "failed" };
                return $"Not run: it depends on '{dependency}', which {verb} on VM '{vm.Name}'.";
            }
        }

        return null;
    }

    private void Record(ScenarioStep step, IMachine vm, TestOutcome outcome, string? message, string output, TimeSpan duration)
    {
        _results[(step.Name, vm.Name)] = new TestCaseResult
        {
            ClassName = $"{scenario.Name}.{vm.Name}",
            Name = step.Name,
            Outcome = outcome,
            Duration = duration,
            Message = message,
            Output = message is null ? output : output + message + Environment.NewLine,
        };
        var mark = outcome switch { TestOutcome.Passed => "passed", TestOutcome.Skipped => "skipped", TestOutcome.Failed => "FAILED", _ => "ERRED" };
        var firstLine = message?.Split('\n')[0].TrimEnd();
        _log.Line(string.Create(CultureInfo.InvariantCulture, $"[{vm.Name}] {step.Name}: {mark} ({duration.TotalSeconds:0.0}s){(firstLine is null ? string.Empty : " — " + firstLine)}"));
    }
}
