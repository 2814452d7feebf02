using System.Globalization;
using System.Security.Cryptography;
using CiLab.Host;
using Microsoft.Extensions.Logging;

namespace CiLab.Images;

/// <summary>
/// Downloads a user image once, verifies its SHA-256 while it streams, and keeps it in the image cache under its
/// digest; a mismatch fails the build and leaves nothing in the cache.
/// </summary>
public sealed class ImageDownloader(ImageCache cache, HttpClient http, ILogger log)
{
    private const long MaxImageBytes = 64L << 30;
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

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
            log.Line($"Image {url} is cached ({key}).");
            return Path.Combine(cached, "disk");
        }

        var entry = await cache.BuildAsync(key, async (directory, ct) =>
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (response.Content.Headers.ContentLength is > MaxImageBytes)
            {
                throw new ImageBuildException($"{url} announces {response.Content.Headers.ContentLength:N0} bytes, more than an image may have here ({MaxImageBytes:N0}).");
            }

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
                using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
                while (true)
                {
                    // A server that stops sending must not hang the run: each read gets a minute.
                    stall.CancelAfter(StallTimeout);
                    try
                    {
                        read = await source.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        throw new ImageBuildException($"Downloading {url} stalled: nothing arrived for {StallTimeout.TotalSeconds:0}s after {done:N0} bytes. Nothing was kept.");
                    }

                    if (read == 0)
                    {
                        break;
                    }

                    hash.AppendData(buffer, 0, read);
                    await target.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    done += read;
                    if (done > MaxImageBytes)
                    {
                        throw new ImageBuildException($"Downloading {url}: more than {MaxImageBytes:N0} bytes; refusing to store more. Nothing was kept.");
                    }

                    if (total is > 0 && done * 10 / total.Value > reported)
                    {
                        reported = (int)(done * 10 / total.Value);
                        log.Line(string.Create(CultureInfo.InvariantCulture, $"  downloading {url.Segments[^1]}: {reported * 10}% of {total.Value / 1e6:0} MB"));
                    }
                }
            }

            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != expected)
            {
                throw new ImageBuildException($"The image downloaded from {url} has SHA-256 {actual}, but the lab file expects {expected}. Nothing was kept.");
            }
        }, log, cancellationToken).ConfigureAwait(false);
        return Path.Combine(entry, "disk");
    }

    /// <summary>
    /// <c>qcow2</c> when the file starts with the qcow2 magic, else <c>raw</c>. A user's image is untrusted input: a qcow2
    /// header naming a backing file or an external data file would make QEMU open a host file of the image's choosing,
    /// so such images are refused.
    /// </summary>
    /// <exception cref="ImageBuildException">The qcow2 image names a backing file or an external data file.</exception>
    public static string DetectFormat(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> header = stackalloc byte[80];
        var read = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (read < 4 || !header[..4].SequenceEqual((ReadOnlySpan<byte>)[0x51, 0x46, 0x49, 0xFB]))
        {
            return "raw";
        }

        // qcow2 header (QEMU's docs/interop/qcow2.txt): version at 4, backing_file_offset at 8, and from version 3
        // incompatible_features at 72, whose bit 2 means an external data file.
        var version = read >= 8 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header[4..8]) : 0;
        var backing = read >= 16 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(header[8..16]) : 0;
        var incompatible = version >= 3 && read >= 80 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(header[72..80]) : 0;
        if (read < 16 || backing != 0 || (incompatible & 0b100) != 0)
        {
            throw new ImageBuildException(read < 16
                ? $"{path} is not a complete qcow2 image (its header is cut short)."
                : $"{path} is a qcow2 image that refers to another file ({(backing != 0 ? "a backing file" : "an external data file")}); CiLab refuses it, since that file would be read on this host. Flatten it first: qemu-img convert -O qcow2 {path} flat.qcow2");
        }

        return "qcow2";
    }
}
