using System.Globalization;
using System.Security.Cryptography;

namespace CiLab.Images;

/// <summary>
/// Downloads a user image once, verifies its SHA-256 while it streams, and keeps it in the image cache under its
/// digest; a mismatch fails the build and leaves nothing in the cache.
/// </summary>
public sealed class ImageDownloader(ImageCache cache, HttpClient http, TextWriter log)
{
    /// <summary>The cached disk for <paramref name="url"/>, downloaded now unless an entry with this digest exists.</summary>
    /// <exception cref="ImageBuildException">The download failed or its SHA-256 did not match.</exception>
    public async Task<string> GetAsync(Uri url, string sha256, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(sha256);
        var expected = sha256.Trim().ToLowerInvariant();
        var key = $"download-{expected[..Math.Min(16, expected.Length)]}";
        if (cache.Find(key) is { } cached)
        {
            log.WriteLine($"Image {url} is cached ({key}).");
            return Path.Combine(cached, "disk");
        }

        var entry = await cache.BuildAsync(key, async (directory, ct) =>
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new ImageBuildException($"Downloading {url} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            var total = response.Content.Headers.ContentLength;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using var source = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using (var target = File.Create(Path.Combine(directory, "disk")))
            {
                var buffer = new byte[1 << 20];
                long done = 0;
                var reported = 0;
                int read;
                while ((read = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await target.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    done += read;
                    if (total is > 0 && done * 10 / total.Value > reported)
                    {
                        reported = (int)(done * 10 / total.Value);
                        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  downloading {url.Segments[^1]}: {reported * 10}% of {total.Value / 1e6:0} MB"));
                    }
                }
            }

            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != expected)
            {
                throw new ImageBuildException($"The image downloaded from {url} has SHA-256 {actual}, but the lab file expects {expected}. Nothing was kept.");
            }
        }, cancellationToken).ConfigureAwait(false);
        return Path.Combine(entry, "disk");
    }

    /// <summary><c>qcow2</c> when the file starts with the qcow2 magic, else <c>raw</c>.</summary>
    public static string DetectFormat(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return file.Read(magic) == 4 && magic.SequenceEqual((ReadOnlySpan<byte>)[0x51, 0x46, 0x49, 0xFB]) ? "qcow2" : "raw";
    }
}
