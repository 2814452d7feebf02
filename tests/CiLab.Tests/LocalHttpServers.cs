namespace CiLab.Tests;

/// <summary>Test classes that run HttpListener servers on 127.0.0.1 run one after another: the managed listener is not safe to open and close concurrently.</summary>
[CollectionDefinition(Name)]
public sealed class LocalHttpServers
{
    public const string Name = "local HTTP servers";
}
