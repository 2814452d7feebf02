using CiLab.Build.Engine;

namespace CiLab.Build.Engine.Tests;

/// <summary>A build whose targets A -> B -> C -> A depend on each other in a cycle.</summary>
internal sealed class CyclicBuild : NukeBuild
{
    public Target Start => _ => _.DependsOn(A);

    public Target A => _ => _.DependsOn(B);

    public Target B => _ => _.DependsOn(C);

    public Target C => _ => _.DependsOn(A);
}
