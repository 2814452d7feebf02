using System.Text;
using CiLab.Images;
using CiLab.Processes;
using CliWrap;

namespace CiLab.Tests.Images;

public sealed class Iso9660WriterTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"cilab-seed-{Guid.NewGuid():N}.iso");

    [Fact]
    public async Task Blkid_sees_an_iso9660_volume_labelled_cidata()
    {
        CloudInitSeed.Write(_path, "vm1", "cilab", "ssh-ed25519 AAAATEST lab", "/bin/sh", "52:54:00:c1:1a:b0");
        var probe = await Cli.Wrap("blkid").WithArguments("-p", "-o", "export", _path).ExecuteBoundedAsync(TestContext.Current.CancellationToken);
        Assert.Contains("TYPE=iso9660", probe.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("LABEL=cidata", probe.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void The_joliet_directory_holds_each_file_with_its_exact_name_and_content()
    {
        var files = new Dictionary<string, byte[]>
        {
            ["user-data"] = Encoding.UTF8.GetBytes("#cloud-config\n"),
            ["meta-data"] = Encoding.UTF8.GetBytes(new string('m', 5000)),
            ["network-config"] = [],
        };
        Iso9660Writer.Write(_path, "cidata", files);
        var image = File.ReadAllBytes(_path);

        Assert.Equal(0, image.Length % 2048);
        Assert.Equal("CD001", Encoding.ASCII.GetString(image, (17 * 2048) + 1, 5));
        Assert.Equal(2, image[17 * 2048]);
        Assert.Equal("%/E", Encoding.ASCII.GetString(image, (17 * 2048) + 88, 3));
        var rootExtent = BitConverter.ToInt32(image, (17 * 2048) + 156 + 2);
        var found = new Dictionary<string, byte[]>();
        var offset = rootExtent * 2048;
        while (image[offset] != 0)
        {
            var length = image[offset];
            var nameLength = image[offset + 32];
            var extent = BitConverter.ToInt32(image, offset + 2);
            var size = BitConverter.ToInt32(image, offset + 10);
            if ((image[offset + 25] & 2) == 0)
            {
                found[Encoding.BigEndianUnicode.GetString(image, offset + 33, nameLength)] = image.AsSpan(extent * 2048, size).ToArray();
            }

            offset += length;
        }

        Assert.Equal(files.Keys.Order(), found.Keys.Order());
        Assert.All(files, f => Assert.Equal(f.Value, found[f.Key]));
    }

    public void Dispose() => File.Delete(_path);
}
