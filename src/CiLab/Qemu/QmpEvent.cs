using System.Text.Json;

namespace CiLab.Qemu;

/// <summary>An asynchronous QMP event (SHUTDOWN, POWERDOWN, RESET, STOP, RESUME, ...).</summary>
/// <param name="Name">The event's name.</param>
/// <param name="Data">Its data, when it has any.</param>
internal sealed record QmpEvent(string Name, JsonElement? Data);
