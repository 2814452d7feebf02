using System.Diagnostics;
using System.Globalization;

namespace CiLab.Host;

/// <summary>
/// An exclusive lock on a file between processes (flock, which .NET takes for <see cref="FileShare.None"/>): the kernel
/// drops it when the holder exits however it dies, so a crashed run never leaves a lock behind. The holder writes who it
/// is beside the lock file, so a waiter can say whom it waits for.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    public string Path { get; }

    private static string OwnerPath(string path) => path + ".owner";

    /// <summary>The lock, or null when another process holds it.</summary>
    public static FileLock? TryAcquire(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }

        AtomicFile.WriteAllText(OwnerPath(path), $"process {Environment.ProcessId} ({CommandLine(Environment.ProcessId)}) since {DateTimeOffset.Now:HH:mm:ss}");
        return new FileLock(path, stream);
    }

    /// <summary>
    /// Waits for the lock, polling; <paramref name="onWaiting"/> hears once who holds it. Gives up after
    /// <paramref name="timeout"/> (null: never) with a <see cref="TimeoutException"/> that names the holder.
    /// </summary>
    public static async Task<FileLock> AcquireAsync(string path, string what, TimeSpan? timeout, Action<string>? onWaiting, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var told = false;
        while (true)
        {
            if (TryAcquire(path) is { } acquired)
            {
                return acquired;
            }

            if (clock.Elapsed >= (timeout ?? TimeSpan.MaxValue))
            {
                throw new TimeoutException($"{what} is still held by {Holder(path)} after {clock.Elapsed.TotalSeconds:0}s.");
            }

            if (!told)
            {
                onWaiting?.Invoke(Holder(path));
                told = true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Who holds the lock at <paramref name="path"/>, as the holder wrote it.</summary>
    public static string Holder(string path)
    {
        try
        {
            return File.ReadAllText(OwnerPath(path)).Trim() is { Length: > 0 } owner ? owner : "another process";
        }
        catch (IOException)
        {
            return "another process";
        }
    }

    public void Dispose() => _stream.Dispose();

    private static string CommandLine(int pid)
    {
        try
        {
            var words = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            var text = string.Join(' ', words.Select(w => w.Contains('/') && File.Exists(w) ? System.IO.Path.GetFileName(w) : w));
            return text.Length > 120 ? text[..120] + "…" : text;
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
