using CiLab.Ssh;

namespace CiLab.Tests.Ssh;

public sealed class KnownHostsTests : IDisposable
{
    private const string Ed25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIFcGQTlnVqYAvFq0xNpHnJnLq2J3oYx0q8v6uJ4bWQyH";
    private readonly string _directory = Directory.CreateTempSubdirectory("cilab-known-hosts-").FullName;

    private string File => Path.Combine(_directory, "ssh", "known_hosts");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Keys_are_read_for_the_alias_only_including_comma_lists_and_comments()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(File)!);
        System.IO.File.WriteAllText(File, $"cilab-other ssh-ed25519 OTHER\n# a comment\nfoo,cilab-img ssh-ed25519 {Ed25519} comment\n\ncilab-img ssh-rsa RSAKEY\n");

        Assert.Equal([("ssh-ed25519", Ed25519), ("ssh-rsa", "RSAKEY")], KnownHosts.Read(File, "cilab-img"));
        Assert.Empty(KnownHosts.Read(File, "cilab-none"));
        Assert.Empty(KnownHosts.Read(Path.Combine(_directory, "missing"), "cilab-img"));
    }

    [Fact]
    public void Only_the_algorithms_that_prove_a_pinned_key_type_are_negotiated()
    {
        Assert.Equal(["ssh-ed25519"], KnownHosts.Algorithms(["ssh-ed25519"]));
        Assert.Equal(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"], KnownHosts.Algorithms(["ssh-rsa"]));
    }

    [Fact]
    public void The_first_key_is_pinned_once_and_a_different_later_key_is_refused()
    {
        Assert.True(KnownHosts.PinFirst(File, "cilab-img", "ssh-ed25519", Ed25519));
        Assert.True(KnownHosts.PinFirst(File, "cilab-img", "ssh-ed25519", Ed25519));
        Assert.False(KnownHosts.PinFirst(File, "cilab-img", "ssh-ed25519", "ANOTHER"));

        Assert.Equal($"cilab-img ssh-ed25519 {Ed25519}\n", System.IO.File.ReadAllText(File));
    }
}
