namespace CiLab.Proxmox;

/// <summary>
/// A Proxmox VE API token, <c>USER@REALM!TOKENID=SECRET</c>. It comes from the environment, never from a lab file, and
/// its secret is never part of a message: <see cref="ToString"/> shows the token id only.
/// </summary>
internal sealed class ProxmoxToken
{
    /// <summary>The environment variable CiLab reads the token from.</summary>
    public const string EnvironmentVariable = "CILAB_PROXMOX_TOKEN";

    private ProxmoxToken(string id, string secret) => (Id, Secret) = (id, secret);

    /// <summary>The token's id, <c>USER@REALM!TOKENID</c>: safe to print.</summary>
    public string Id { get; }

    /// <summary>The secret: for the Authorization header only.</summary>
    public string Secret { get; }

    /// <summary>The Authorization header's value.</summary>
    public string Header => $"PVEAPIToken={Id}={Secret}";

    /// <summary>Reads <c>USER@REALM!TOKENID=SECRET</c>.</summary>
    /// <exception cref="ProxmoxException">It is missing or not in that form (the message never contains the secret).</exception>
    public static ProxmoxToken Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ProxmoxException($"No Proxmox API token: set {EnvironmentVariable} to USER@REALM!TOKENID=SECRET (in CI, from a secret).");
        }

        var separator = value.IndexOf('=', StringComparison.Ordinal);
        var id = separator > 0 ? value[..separator].Trim() : string.Empty;
        var secret = separator > 0 ? value[(separator + 1)..].Trim() : string.Empty;
        var at = id.IndexOf('@', StringComparison.Ordinal);
        var bang = id.IndexOf('!', StringComparison.Ordinal);
        if (at <= 0 || bang <= at + 1 || bang == id.Length - 1 || secret.Length == 0 || id.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) || secret.Any(char.IsControl))
        {
            throw new ProxmoxException($"{EnvironmentVariable} is not a Proxmox API token: expected USER@REALM!TOKENID=SECRET, e.g. cilab@pve!ci=1234abcd-….");
        }

        return new ProxmoxToken(id, secret);
    }

    /// <summary>The token from <see cref="EnvironmentVariable"/>.</summary>
    public static ProxmoxToken FromEnvironment() => Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>Inside GitHub Actions, asks the runner to mask the secret in every later log line (a guard against a tool echoing it).</summary>
    public void MaskIn(GitHub.GitHubContext context, TextWriter output)
    {
        if (context.IsActions)
        {
            new GitHub.WorkflowCommands(output).Mask(Secret);
        }
    }

    /// <summary>The token id; the secret stays out.</summary>
    public override string ToString() => Id;
}
