using CiLab.Build.Engine;

namespace CiLab.Build.Engine.Tests;

/// <summary>A build whose targets record what ran, so tests can check order and propagation.</summary>
internal class SampleBuild : NukeBuild
{
    public List<string> Ran { get; } = [];

    public HashSet<string> Failing { get; } = [];

    [Parameter("A text parameter")]
    public string Greeting = "hello";

    [Parameter("A number")]
    public int Count = 1;

    [Parameter("A flag")]
    public bool KeepVm = false;

    [Parameter("A list")]
    public string[] Suites = [];

    public Target Restore => _ => _.Description("restores").Executes(() => Record(nameof(Restore)));

    public Target Compile => _ => _.DependsOn(Restore).Executes(() => Record(nameof(Compile)));

    public Target Test => _ => _.DependsOn(Compile).Executes(() => Record(nameof(Test)));

    public Target Pack => _ => _.DependsOn(Compile).After(Test).Executes(() => Record(nameof(Pack)));

    public Target Report => _ => _.After(Test).AssuredAfterFailure().Executes(() => Record(nameof(Report)));

    public Target Independent => _ => _.Executes(() => Record(nameof(Independent)));

    protected void Record(string name)
    {
        Ran.Add(name);
        if (Failing.Contains(name))
        {
            throw new TargetFailedException($"{name} was told to fail");
        }
    }
}
