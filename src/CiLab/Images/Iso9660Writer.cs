using System.Buffers.Binary;
using System.Text;

namespace CiLab.Images;

/// <summary>
/// Writes a small ISO 9660 volume with Joliet names: enough for a cloud-init NoCloud seed (a flat folder of a few
/// files, labelled <c>cidata</c>), so that no genisoimage or xorriso is needed on the host.
/// </summary>
internal static class Iso9660Writer
{
    private const int Sector = 2048;

    /// <summary>Writes <paramref name="files"/> (flat names to contents) as a volume labelled <paramref name="label"/>.</summary>
    public static void Write(string path, string label, IReadOnlyDictionary<string, byte[]> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var names = files.Keys.Order(StringComparer.Ordinal).ToList();
        // Layout: 16 system sectors, PVD, Joliet SVD, terminator, 4 path tables, 2 root directories, then the files.
        const int primaryRoot = 23, jolietRoot = 24, firstFile = 25;
        var extents = new Dictionary<string, int>();
        var next = firstFile;
        foreach (var name in names)
        {
            extents[name] = next;
            next += Math.Max(1, (files[name].Length + Sector - 1) / Sector);
        }

        var image = new byte[next * Sector];
        var now = DateTime.UtcNow;
        WriteDescriptor(image.AsSpan(16 * Sector, Sector), 1, label, next, primaryRoot, 19, 20, now, joliet: false);
        WriteDescriptor(image.AsSpan(17 * Sector, Sector), 2, label, next, jolietRoot, 21, 22, now, joliet: true);
        image[18 * Sector] = 255;
        "CD001"u8.CopyTo(image.AsSpan((18 * Sector) + 1));
        image[(18 * Sector) + 6] = 1;
        WritePathTable(image.AsSpan(19 * Sector), primaryRoot, bigEndian: false);
        WritePathTable(image.AsSpan(20 * Sector), primaryRoot, bigEndian: true);
        WritePathTable(image.AsSpan(21 * Sector), jolietRoot, bigEndian: false);
        WritePathTable(image.AsSpan(22 * Sector), jolietRoot, bigEndian: true);
        WriteDirectory(image.AsSpan(primaryRoot * Sector, Sector), primaryRoot, names, files, extents, now, n => Encoding.ASCII.GetBytes(PrimaryName(n)));
        WriteDirectory(image.AsSpan(jolietRoot * Sector, Sector), jolietRoot, names, files, extents, now, n => Encoding.BigEndianUnicode.GetBytes(n));
        foreach (var name in names)
        {
            files[name].CopyTo(image.AsSpan(extents[name] * Sector));
        }

        File.WriteAllBytes(path, image);
    }

    // ISO 9660 names are upper-case d-characters with a version; Linux shows the Joliet names instead.
    private static string PrimaryName(string name)
    {
        var clean = new string([.. name.ToUpperInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
        return $"{clean[..Math.Min(clean.Length, 28)]}.;1";
    }

    private static void WriteDescriptor(Span<byte> d, byte type, string label, int totalSectors, int rootSector, int lTable, int mTable, DateTime now, bool joliet)
    {
        d[0] = type;
        "CD001"u8.CopyTo(d[1..]);
        d[6] = 1;
        Text(d.Slice(8, 32), "LINUX", joliet);
        Text(d.Slice(40, 32), label, joliet);
        BothEndian32(d[80..], totalSectors);
        if (joliet)
        {
            "%/E"u8.CopyTo(d[88..]); // UCS-2 level 3
        }

        BothEndian16(d[120..], 1);
        BothEndian16(d[124..], 1);
        BothEndian16(d[128..], Sector);
        BothEndian32(d[132..], 10);
        BinaryPrimitives.WriteInt32LittleEndian(d[140..], lTable);
        BinaryPrimitives.WriteInt32BigEndian(d[148..], mTable);
        WriteRecord(d.Slice(156, 34), [0], rootSector, Sector, directory: true, now);
        foreach (var (offset, length) in new[] { (190, 128), (318, 128), (446, 128), (574, 128), (702, 37), (739, 37), (776, 37) })
        {
            Text(d.Slice(offset, length), string.Empty, joliet);
        }

        Text(d.Slice(574, 128), "CILAB", joliet);
        DescriptorDate(d.Slice(813, 17), now);
        DescriptorDate(d.Slice(830, 17), now);
        "0000000000000000"u8.CopyTo(d[847..]);
        "0000000000000000"u8.CopyTo(d[864..]);
        d[881] = 1;
    }

    private static void WritePathTable(Span<byte> table, int rootSector, bool bigEndian)
    {
        table[0] = 1; // identifier length: the root's single zero byte
        if (bigEndian)
        {
            BinaryPrimitives.WriteInt32BigEndian(table[2..], rootSector);
            BinaryPrimitives.WriteInt16BigEndian(table[6..], 1);
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(table[2..], rootSector);
            BinaryPrimitives.WriteInt16LittleEndian(table[6..], 1);
        }
    }

    private static void WriteDirectory(Span<byte> sector, int self, List<string> names, IReadOnlyDictionary<string, byte[]> files, Dictionary<string, int> extents, DateTime now, Func<string, byte[]> encode)
    {
        var offset = WriteRecord(sector, [0], self, Sector, directory: true, now);
        offset += WriteRecord(sector[offset..], [1], self, Sector, directory: true, now);
        foreach (var name in names)
        {
            offset += WriteRecord(sector[offset..], encode(name), extents[name], files[name].Length, directory: false, now);
        }
    }

    private static int WriteRecord(Span<byte> r, byte[] name, int extent, int length, bool directory, DateTime now)
    {
        var size = 33 + name.Length + (name.Length % 2 == 0 ? 1 : 0);
        r[0] = (byte)size;
        BothEndian32(r[2..], extent);
        BothEndian32(r[10..], length);
        r[18] = (byte)(now.Year - 1900);
        r[19] = (byte)now.Month;
        r[20] = (byte)now.Day;
        r[21] = (byte)now.Hour;
        r[22] = (byte)now.Minute;
        r[23] = (byte)now.Second;
        r[25] = directory ? (byte)2 : (byte)0;
        BothEndian16(r[28..], 1);
        r[32] = (byte)name.Length;
        name.CopyTo(r[33..]);
        return size;
    }

    private static void Text(Span<byte> field, string text, bool ucs2)
    {
        var padded = ucs2 ? text.PadRight((field.Length + 1) / 2) : text.PadRight(field.Length);
        (ucs2 ? Encoding.BigEndianUnicode : Encoding.ASCII).GetBytes(padded).AsSpan(0, field.Length).CopyTo(field);
    }

    private static void DescriptorDate(Span<byte> field, DateTime now)
    {
        Encoding.ASCII.GetBytes(now.ToString("yyyyMMddHHmmss00", System.Globalization.CultureInfo.InvariantCulture)).CopyTo(field);
        field[16] = 0;
    }

    private static void BothEndian16(Span<byte> field, int value)
    {
        BinaryPrimitives.WriteInt16LittleEndian(field, (short)value);
        BinaryPrimitives.WriteInt16BigEndian(field[2..], (short)value);
    }

    private static void BothEndian32(Span<byte> field, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(field, value);
        BinaryPrimitives.WriteInt32BigEndian(field[4..], value);
    }
}
