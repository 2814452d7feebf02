using CiLab.Processes;
using CliWrap;

namespace CiLab.Build.Upgrade;

/// <summary>
/// The upgrade-lab's config repository on the host: a bare repository the guests pull from (served over git's
/// dumb HTTP protocol) and a work tree where the scenario commits changes, as seed 001's developer pushed to GitHub.
/// </summary>
sealed class ConfigRepository
{
    readonly string _work;

    ConfigRepository(string directory)
    {
        Root = directory;
        _work = Path.Combine(directory, "work");
    }

    /// <summary>The folder holding config.git (the one to serve) and the work tree.</summary>
    public string Root { get; }

    /// <summary>The commit every step starts from.</summary>
    public string Baseline { get; private set; } = "";

    /// <summary>Creates the repositories afresh in <paramref name="directory"/>, the first commit holding <paramref name="seed"/>'s files.</summary>
    public static async Task<ConfigRepository> CreateAsync(string directory, string seed, CancellationToken ct)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        var repository = new ConfigRepository(directory);
        await Git(directory, ct, "init", "--quiet", "--bare", "--initial-branch=main", "config.git");
        await Git(directory, ct, "clone", "--quiet", "config.git", "work");
        foreach (var file in Directory.GetFiles(seed))
        {
            File.Copy(file, Path.Combine(repository._work, Path.GetFileName(file)));
        }

        repository.Baseline = await repository.CommitAsync("initial configuration", new Dictionary<string, string?>(), ct);
        return repository;
    }

    /// <summary>Writes (or, for null, deletes) <paramref name="files"/>, commits, pushes; returns the commit.</summary>
    public async Task<string> CommitAsync(string message, IReadOnlyDictionary<string, string?> files, CancellationToken ct)
    {
        foreach (var (name, content) in files)
        {
            var path = Path.Combine(_work, name);
            if (content is null)
            {
                File.Delete(path);
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllTextAsync(path, content, ct);
            }
        }

        await Git(_work, ct, "add", "--all");
        await Git(_work, ct, "-c", "user.name=CiLab scenario", "-c", "user.email=scenario@cilab.invalid", "commit", "--quiet", "--allow-empty", "-m", message);
        return await PushAsync(force: false, ct);
    }

    /// <summary>Appends <paramref name="text"/> to <paramref name="file"/> and commits.</summary>
    public async Task<string> AppendAsync(string file, string text, string message, CancellationToken ct) =>
        await CommitAsync(message, new Dictionary<string, string?> { [file] = await File.ReadAllTextAsync(Path.Combine(_work, file), ct) + text }, ct);

    /// <summary>Moves main back to the baseline (a force push), so each step starts from the same history.</summary>
    public async Task ResetAsync(CancellationToken ct)
    {
        await Git(_work, ct, "reset", "--quiet", "--hard", Baseline);
        await PushAsync(force: true, ct);
    }

    async Task<string> PushAsync(bool force, CancellationToken ct)
    {
        await Git(_work, ct, ["push", "--quiet", .. force ? ["--force"] : Array.Empty<string>(), "origin", "HEAD:main"]);
        // Dumb HTTP clients read info/refs and objects/info/packs: keep them current.
        await Git(Path.Combine(Root, "config.git"), ct, "update-server-info");
        return (await Cli.Wrap("git").WithArguments("rev-parse", "HEAD").WithWorkingDirectory(_work).ExecuteBoundedAsync(ct)).StandardOutput.Trim();
    }

    static Task Git(string directory, CancellationToken ct, params string[] arguments) =>
        Cli.Wrap("git").WithArguments(arguments).WithWorkingDirectory(directory).ExecuteBoundedAsync(ct);
}
