using System.Collections.Concurrent;
using CiLab.Qemu;

namespace CiLab.Machines;

/// <summary>The backends a lab file can name (<c>backend:</c>); QEMU is built in and the default.</summary>
public static class MachineBackends
{
    /// <summary>The backend a VM gets when its lab entry names none.</summary>
    public const string Default = "qemu";

    private static readonly ConcurrentDictionary<string, IMachineBackend> Known = new(StringComparer.Ordinal) { [Default] = new QemuBackend(), ["proxmox"] = new Proxmox.ProxmoxBackend() };

    /// <summary>Their names, for lab-file errors.</summary>
    public static IReadOnlyList<string> Names => [.. Known.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Makes <paramref name="backend"/> available to lab files under its name (before they are loaded).</summary>
    /// <exception cref="ArgumentException">Its name is taken, or is not a valid name.</exception>
    public static void Register(IMachineBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Labs.Names.RequireValidName(backend.Name, "backend");
        if (!Known.TryAdd(backend.Name, backend))
        {
            throw new ArgumentException($"A backend called '{backend.Name}' is registered already.", nameof(backend));
        }
    }

    /// <summary>The backend called <paramref name="name"/>, or null.</summary>
    public static IMachineBackend? Find(string name) => Known.GetValueOrDefault(name);
}
