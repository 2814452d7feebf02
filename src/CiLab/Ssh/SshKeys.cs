using CiLab.Processes;
using CliWrap;

namespace CiLab.Ssh;

/// <summary>Creates ed25519 key pairs with ssh-keygen (private key 0600, never printed).</summary>
internal static class SshKeys
{
    /// <summary>Makes sure an ed25519 key exists at <paramref name="privateKeyPath"/> (and .pub beside it); returns the public key line.</summary>
    public static async Task<string> EnsureAsync(string privateKeyPath, string comment, CancellationToken cancellationToken)
    {
        if (!File.Exists(privateKeyPath) || !File.Exists(privateKeyPath + ".pub"))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(privateKeyPath)!);
            File.Delete(privateKeyPath);
            File.Delete(privateKeyPath + ".pub");
            await Cli.Wrap("ssh-keygen").WithArguments("-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", privateKeyPath)
                .ExecuteBoundedAsync(cancellationToken).ConfigureAwait(false);
        }

        File.SetUnixFileMode(privateKeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (await File.ReadAllTextAsync(privateKeyPath + ".pub", cancellationToken).ConfigureAwait(false)).Trim();
    }
}
