using System.Text;
using System.Text.RegularExpressions;
using CiLab.Labs;
using CiLab.Machines;
using CiLab.Reporting;

namespace CiLab.Scenarios;

/// <summary>
/// One step on one VM: runs guest commands, checks expectations, injects faults, and keeps everything it did as the
/// test case's output. A failed expectation throws <see cref="ScenarioAssertionException"/>, which fails the case.
/// </summary>
public sealed class StepContext
{
    private readonly StringBuilder _output = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly Dictionary<string, string> _recorded = [];
    private readonly Action<string>? _echo;
    private readonly long _consoleStart;
    private readonly List<TimelineSpan> _machineWork = [];
    private const int ConsoleWindow = 1024 * 1024;

    internal StepContext(IMachine vm, string stepName, Action<string>? echo)
    {
        Vm = vm;
        StepName = stepName;
        _echo = echo;
        Faults = new GuestFaults(vm, Log, span =>
        {
            lock (_machineWork)
            {
                _machineWork.Add(span);
            }
        });
        _consoleStart = (vm as ISerialConsole)?.ConsoleEnd() ?? 0;
    }

    /// <summary>The VM this context runs on.</summary>
    public IMachine Vm { get; }

    /// <summary>The VM's name.</summary>
    public string VmName => Vm.Name;

    /// <summary>The step's name.</summary>
    public string StepName { get; }

    /// <summary>Faults to inject into this VM: link down/up, reboot, hard reset, kill a process, fill a disk, restore.</summary>
    public GuestFaults Faults { get; }

    /// <summary>Everything logged so far: the commands run and their output.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    internal DateTimeOffset Started { get; set; } = DateTimeOffset.UtcNow;

    // Restores, reboots and resets this step waited for: its machine time, and bars of their own on the timeline.
    internal IReadOnlyList<TimelineSpan> MachineWork
    {
        get
        {
            lock (_machineWork)
            {
                return [.. _machineWork];
            }
        }
    }

    /// <summary>Adds a line to the case's output, stamped with the time since the step began (where did the time go?).</summary>
    public void Log(string line)
    {
        line = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds,6:0.0}s {line}");
        lock (_output)
        {
            _output.AppendLine(line);
        }

        _echo?.Invoke(line);
    }

    /// <summary>Records a value that <see cref="ScenarioStep.ExpectSameAcrossVms"/> compares between VMs.</summary>
    public void Record(string key, string value)
    {
        _recorded[key] = value;
        Log($"recorded {key} = {value}");
    }

    /// <summary>The value recorded as <paramref name="key"/>, or null.</summary>
    public string? Recorded(string key) => _recorded.GetValueOrDefault(key);

    /// <summary>Fails the step with <paramref name="message"/> unless <paramref name="condition"/> holds.</summary>
    /// <exception cref="ScenarioAssertionException">It does not.</exception>
    public void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new ScenarioAssertionException(message);
        }
    }

    /// <summary>Runs <paramref name="script"/> as the VM's user; returns its trimmed standard output.</summary>
    /// <exception cref="ScenarioAssertionException">It exited non-zero (the message carries its output).</exception>
    public Task<string> RunAsync(string script, CancellationToken cancellationToken) => RunAsync(script, elevated: false, cancellationToken);

    /// <summary>Runs <paramref name="script"/>, as root through the VM's elevation when <paramref name="elevated"/>; returns its trimmed standard output.</summary>
    /// <exception cref="ScenarioAssertionException">It exited non-zero (the message carries its output).</exception>
    public async Task<string> RunAsync(string script, bool elevated, CancellationToken cancellationToken)
    {
        var result = await TryRunAsync(script, elevated, cancellationToken).ConfigureAwait(false);
        Expect(result.ExitCode == 0, $"'{script}' exited with code {result.ExitCode}.{Tail(result)}");
        return result.StandardOutput.Trim();
    }

    /// <summary>Runs <paramref name="script"/> whatever its exit code, logging it and its output.</summary>
    public async Task<GuestCommandResult> TryRunAsync(string script, bool elevated, CancellationToken cancellationToken)
    {
        Log($"$ {(elevated ? Vm.Definition.Elevation.ToString().ToLowerInvariant() + " " : string.Empty)}{script}");
        var result = await Vm.Shell.RunAsync(
            new GuestCommand
            {
                Script = script,
                Elevation = elevated ? Vm.Definition.Elevation : Elevation.None,
                ValidateExitCode = false,
                OnOutputLine = line => Log("  " + line),
                OnErrorLine = line => Log("  " + line),
            },
            cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            Log($"  (exit code {result.ExitCode})");
        }

        return result;
    }

    /// <summary>Expects <paramref name="script"/> to exit non-zero, and returns its result.</summary>
    /// <exception cref="ScenarioAssertionException">It succeeded.</exception>
    public async Task<GuestCommandResult> ShouldFailAsync(string script, bool elevated, CancellationToken cancellationToken)
    {
        var result = await TryRunAsync(script, elevated, cancellationToken).ConfigureAwait(false);
        Expect(result.ExitCode != 0, $"'{script}' was expected to fail but exited 0.{Tail(result)}");
        return result;
    }

    /// <summary>Expects the output of <paramref name="script"/> to match <paramref name="pattern"/>; returns the output.</summary>
    /// <exception cref="ScenarioAssertionException">It failed, or its output does not match.</exception>
    public async Task<string> ShouldMatchAsync(string script, string pattern, CancellationToken cancellationToken)
    {
        var output = await RunAsync(script, elevated: false, cancellationToken).ConfigureAwait(false);
        Expect(Regex.IsMatch(output, pattern, RegexOptions.Multiline), $"The output of '{script}' does not match /{pattern}/; it was:{Environment.NewLine}{output}");
        return output;
    }

    /// <summary>Expects service <paramref name="unit"/> (a systemd unit on Linux) to be active.</summary>
    /// <exception cref="ScenarioAssertionException">It is not (the message gives its state).</exception>
    public async Task UnitShouldBeActiveAsync(string unit, CancellationToken cancellationToken)
    {
        var result = await TryRunAsync(Vm.Profile.ServiceStateCommand(unit), elevated: false, cancellationToken).ConfigureAwait(false);
        Expect(result.ExitCode == 0, $"Unit {unit} is {result.StandardOutput.Trim()}, expected active.");
    }

    /// <summary>Expects file <paramref name="path"/> (read as root) to contain <paramref name="text"/>.</summary>
    /// <exception cref="ScenarioAssertionException">It is missing or does not contain it.</exception>
    public async Task FileShouldContainAsync(string path, string text, CancellationToken cancellationToken)
    {
        var result = await TryRunAsync($"cat -- {Processes.ShellQuoting.Quote(path)}", elevated: true, cancellationToken).ConfigureAwait(false);
        Expect(result.ExitCode == 0, $"{path} cannot be read: {result.StandardError.Trim()}");
        Expect(result.StandardOutput.Contains(text, StringComparison.Ordinal), $"{path} does not contain '{text}'; it holds:{Environment.NewLine}{result.StandardOutput.TrimEnd()}");
    }

    /// <summary>Waits until <paramref name="script"/> succeeds (checked every half second), through reboots and lost connections.</summary>
    /// <exception cref="ScenarioAssertionException">It did not within <paramref name="timeout"/>, or the VM died.</exception>
    public async Task WaitUntilAsync(string script, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Log($"waiting up to {timeout.TotalSeconds:0}s until: {script}");
        try
        {
            await Vm.Shell.WaitUntilAsync(new GuestCommand { Script = script }, timeout, TimeSpan.FromMilliseconds(500), Vm.IsRunning, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or GuestConnectionException)
        {
            throw new ScenarioAssertionException(e.Message);
        }
    }

    /// <summary>
    /// Waits until the serial console, since this step began, shows a line matching <paramref name="pattern"/>:
    /// the way to watch a guest that SSH cannot reach (link down, early boot).
    /// </summary>
    /// <exception cref="ScenarioAssertionException">It did not within <paramref name="timeout"/>, or the VM died.</exception>
    public async Task<string> WaitForConsoleAsync(string pattern, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Log($"waiting up to {timeout.TotalSeconds:0}s for /{pattern}/ on the serial console");
        var console = Vm.Require<ISerialConsole>("show its serial console");
        var regex = new Regex(pattern, RegexOptions.Multiline);
        var deadline = DateTime.UtcNow + timeout;
        var text = string.Empty;
        var position = _consoleStart;
        while (true)
        {
            // Read on from where the last look ended, keeping a bounded window: the guest may print without end.
            var (fresh, end) = console.ReadConsole(position, ConsoleWindow);
            text = end < position ? fresh : text + fresh;
            position = end;
            if (text.Length > ConsoleWindow)
            {
                text = text[^ConsoleWindow..];
            }

            if (regex.Match(text) is { Success: true } match)
            {
                Log($"console: {match.Value.Trim()}");
                return match.Value;
            }

            Expect(Vm.IsRunning(), $"VM '{VmName}' died while waiting for /{pattern}/ on its console.");
            Expect(DateTime.UtcNow < deadline, $"/{pattern}/ did not appear on the serial console within {timeout.TotalSeconds:0}s; its last lines:{Environment.NewLine}{LastLines(text, 15)}");
            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string LastLines(string text, int count)
    {
        var lines = text.TrimEnd().Split('\n');
        return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Length - count)));
    }

    private static string Tail(GuestCommandResult result)
    {
        var text = (result.StandardOutput + result.StandardError).TrimEnd();
        return text.Length == 0 ? string.Empty : Environment.NewLine + LastLines(text, 15);
    }
}
