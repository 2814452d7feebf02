using CiLab.Processes;

namespace CiLab.IntegrationTests;

/// <summary>
/// A normal user made for one test, as a CI runner's account is: no sudo, no kvm group, a subordinate ID range as
/// useradd gives one on Debian (added by hand where this host's useradd does not). Dropped with its home and every
/// process it left.
/// </summary>
internal sealed class NormalUser : IAsyncDisposable
{
    private NormalUser(string name, string home) => (Name, Home) = (name, home);

    public string Name { get; }

    public string Home { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<NormalUser> CreateAsync(string name)
    {
        Assert.True(Environment.UserName == "root", "this test creates a normal user and needs root (CI runs as root)");
        var user = new NormalUser(name, $"/home/{name}");
        await user.DropAsync(); // What a killed earlier run left.
        user.RemoveTemporaryFolders();
        // Debian's useradd gives a new user a subordinate ID range once these files exist (the first adduser makes them).
        await RootAsync("touch", "/etc/subuid", "/etc/subgid");
        await RootAsync("useradd", "--create-home", "--shell", "/bin/sh", name);
        var ranges = $"{File.ReadAllText("/etc/subuid")}\n{File.ReadAllText("/etc/subgid")}";
        if (ranges.Split('\n').Count(l => l.StartsWith(name + ":", StringComparison.Ordinal)) < 2)
        {
            await RootAsync("usermod", "--add-subuids", "300000-365535", "--add-subgids", "300000-365535", name);
        }

        return user;
    }

    /// <summary>Runs <paramref name="script"/> with sh as this user, in a clean login-like environment.</summary>
    public Task<HostCommandResult> RunAsync(string script, TimeSpan timeout, Action<string>? line = null) =>
        CliWrap.Cli.Wrap("runuser")
            .WithArguments(["-u", Name, "--", "env", "-i", $"HOME={Home}", $"USER={Name}", $"LOGNAME={Name}", "PATH=/usr/local/bin:/usr/bin:/bin", "CI=true", "LANG=C.UTF-8", "sh", "-c", script])
            .WithWorkingDirectory(Home)
            .WithStandardOutputLine(l => line?.Invoke(l))
            .WithStandardErrorLine(l => line?.Invoke(l))
            .WithValidation(false)
            .ExecuteBoundedAsync(CancellationTokenSource.CreateLinkedTokenSource(Ct, new CancellationTokenSource(timeout).Token).Token);

    /// <summary>A clone of this repository's HEAD in the user's home, owned by the user (no hard links into ours).</summary>
    public async Task<string> CloneAsync(string folder)
    {
        var path = Path.Combine(Home, folder);
        await RootAsync("git", "clone", "--quiet", "--no-hardlinks", GuestLab.RepositoryRoot, path);
        await RootAsync("chown", "-R", $"{Name}:{Name}", path);
        return path;
    }

    public async ValueTask DisposeAsync() => await DropAsync();

    public static async Task RootAsync(params string[] argv)
    {
        var result = await CliWrap.Cli.Wrap(argv[0]).WithArguments(argv[1..]).WithValidation(false).ExecuteBoundedAsync(Ct);
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', argv)}: {result.StandardError}");
    }

    private async Task DropAsync()
    {
        if (!File.ReadLines("/etc/passwd").Any(l => l.StartsWith(Name + ":", StringComparison.Ordinal)))
        {
            return;
        }

        // Its VMs too: the QEMU processes a run of this user left are this user's.
        for (var tries = 0; tries < 50; tries++)
        {
            await CliWrap.Cli.Wrap("pkill").WithArguments(["-KILL", "-u", Name]).WithValidation(false).ExecuteBoundedAsync(CancellationToken.None);
            var left = await CliWrap.Cli.Wrap("pgrep").WithArguments(["-u", Name]).WithValidation(false).ExecuteBoundedAsync(CancellationToken.None);
            if (left.ExitCode != 0)
            {
                break;
            }

            await Task.Delay(200, CancellationToken.None);
        }

        await RootAsync("userdel", "--remove", Name);
        RemoveTemporaryFolders();
    }

    // Per-user folders in /tmp, named after the user: a later user of the same name (and another uid) could not use them.
    private void RemoveTemporaryFolders()
    {
        foreach (var folder in new[] { $"/tmp/cilab-{Name}", $"/tmp/NuGetScratch{Name}" }.Where(Directory.Exists))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
