namespace CiLab.Scenarios;

/// <summary>A scenario's expectation did not hold: the step fails on that VM with this message.</summary>
public sealed class ScenarioAssertionException(string message) : CiLabException(message);
