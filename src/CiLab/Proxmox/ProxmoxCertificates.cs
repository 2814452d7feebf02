using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CiLab.Proxmox;

/// <summary>
/// Which server certificates a Proxmox connection accepts: one the system (or the cluster's CA, once installed) trusts,
/// or exactly the one pinned by its SHA-256 fingerprint in the lab. Nothing else, and no "insecure" switch.
/// </summary>
internal sealed class ProxmoxCertificates(string? pinnedFingerprint)
{
    private readonly string? _pinned = pinnedFingerprint is null ? null : Normalize(pinnedFingerprint);

    /// <summary>The fingerprint of the last certificate refused, for the error message.</summary>
    public string? Refused { get; private set; }

    /// <summary>The SHA-256 fingerprint as Proxmox shows it (<c>AB:CD:…</c>).</summary>
    public static string Fingerprint(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return string.Join(':', SHA256.HashData(certificate.GetRawCertData()).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>For <see cref="SocketsHttpHandler"/>'s validation callback.</summary>
    public bool Accept(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }

        var fingerprint = Fingerprint(certificate);
        var accepted = _pinned is null ? errors == SslPolicyErrors.None : fingerprint == _pinned;
        Refused = accepted ? null : fingerprint;
        return accepted;
    }

    /// <summary>What to tell a person whose connection was refused.</summary>
    public string Explain(Uri endpoint) => _pinned is null
        ? $"the certificate of {endpoint.Host} is not trusted by this machine (SHA-256 {Refused}). Install the cluster's CA, or pin this certificate in the lab file: fingerprint: {Refused} — check it first on the node (pvenode cert info)."
        : $"the certificate of {endpoint.Host} (SHA-256 {Refused}) is not the one pinned in the lab file ({_pinned}). Refusing to connect: the certificate changed, or something is in the way.";

    private static string Normalize(string fingerprint)
    {
        var hex = new string([.. fingerprint.Where(Uri.IsHexDigit)]).ToUpperInvariant();
        return hex.Length == 64
            ? string.Join(':', Enumerable.Range(0, 32).Select(i => hex.Substring(i * 2, 2)))
            : throw new ArgumentException($"'{fingerprint}' is not a SHA-256 fingerprint (64 hex digits, as 'pvenode cert info' shows it).", nameof(pinnedFingerprint));
    }
}
