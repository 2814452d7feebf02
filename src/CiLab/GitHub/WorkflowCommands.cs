using System.Text;

namespace CiLab.GitHub;

/// <summary>
/// GitHub Actions workflow commands written to standard output: folding groups, error annotations
/// (capped, so a thousand failures do not flood the run), and masking of secrets.
/// </summary>
public sealed class WorkflowCommands(TextWriter output, int maxAnnotations = 50)
{
    private int _annotations;

    /// <summary>Starts a folded group; dispose the result to end it.</summary>
    public IDisposable Group(string title)
    {
        output.WriteLine($"::group::{EscapeData(title)}");
        return new GroupEnd(output);
    }

    /// <summary>Asks the runner to mask <paramref name="secret"/> in every later log line.</summary>
    public void Mask(string secret)
    {
        if (!string.IsNullOrEmpty(secret))
        {
            output.WriteLine($"::add-mask::{EscapeData(secret)}");
        }
    }

    /// <summary>An error annotation, at a file and line when known. Returns false once the cap is reached.</summary>
    public bool Error(string message, string? file = null, int? line = null, string? title = null)
    {
        if (_annotations >= maxAnnotations)
        {
            return false;
        }

        _annotations++;
        var properties = new List<string>();
        if (file is not null)
        {
            properties.Add($"file={EscapeProperty(file)}");
            if (line is { } l)
            {
                properties.Add($"line={l}");
            }
        }

        if (title is not null)
        {
            properties.Add($"title={EscapeProperty(title)}");
        }

        var head = properties.Count > 0 ? " " + string.Join(',', properties) : string.Empty;
        output.WriteLine($"::error{head}::{EscapeData(message)}");
        return true;
    }

    /// <summary>Escapes a command's message as the runner expects (%, CR, LF).</summary>
    public static string EscapeData(string value) =>
        new StringBuilder(value).Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A").ToString();

    /// <summary>Escapes a command's property value (also ':' and ',').</summary>
    public static string EscapeProperty(string value) =>
        new StringBuilder(EscapeData(value)).Replace(":", "%3A").Replace(",", "%2C").ToString();

    private sealed class GroupEnd(TextWriter output) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                output.WriteLine("::endgroup::");
            }
        }
    }
}
