using Microsoft.Extensions.Logging;

namespace CiLab.Host;

/// <summary>CiLab's progress lines are whole sentences, already formatted: logged as they are, at information level.</summary>
internal static class LogLines
{
    public static void Line(this ILogger log, string text) => log.Log(LogLevel.Information, default, text, null, static (s, _) => s);
}
