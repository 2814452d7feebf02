using CiLab.Labs;

namespace CiLab.Images;

/// <summary>
/// The mmdebstrap command line of the <c>debian</c> recipe. The same on Debian and Ubuntu hosts, as root or not:
/// Debian's keyring and the image's mirror are named explicitly (an Ubuntu host trusts neither by default), and a
/// normal user's build runs in mmdebstrap's <c>unshare</c> mode (user namespaces, no mounts on the host). The tree
/// comes out as a tarball, whose owners are right in either mode; files go into the tree by mmdebstrap's
/// <c>upload</c> hooks, which read them as the calling user, since the namespace's root cannot reach that user's files.
/// </summary>
internal static class MmdebstrapArguments
{
    /// <summary>Debian's archive keyring (package <c>debian-archive-keyring</c>, on Ubuntu too).</summary>
    public const string DebianKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg";

    /// <summary>Where an uploaded provisioning script waits in the tree for the setup script to run it.</summary>
    public const string ProvisionInTree = "/tmp/cilab-provision.sh";

    // With an archive (a folder of packages earlier builds downloaded), it is copied into the tree before apt runs and
    // the packages this build used come out into collect.
    public static IReadOnlyList<string> For(ImageDefinition image, IEnumerable<string> packages, string setupScript, string hostKey, string tarball, bool asRoot,
        string? archive = null, string? collect = null)
    {
        List<string> arguments = ["--variant=minbase", $"--mode={(asRoot ? "root" : "unshare")}", $"--keyring={DebianKeyring}", $"--include={string.Join(',', packages)}"];
        // The kernel's package builds an initrd as it installs, and initramfs-tools' trigger builds it again: with every
        // module (MODULES=most) each took 31 s, and the default lab's mmdebstrap run 128 s (65 s with this). The setup
        // script builds the initrd the image keeps, with the same setting and its module list.
        arguments.Add("--essential-hook=mkdir -p \"$1/etc/initramfs-tools/conf.d\" && echo MODULES=list > \"$1/etc/initramfs-tools/conf.d/cilab\"");
        if (archive is not null && collect is not null)
        {
            // The essential packages stay in the tree's apt cache too (mmdebstrap removes them after installing by
            // default); the tree's cache is emptied at cleanup, after the customize hooks, so the image holds none.
            arguments.Add("--skip=essential/unlink");
            arguments.Add("--setup-hook=mkdir -p \"$1/var/cache/apt/archives\"");
            arguments.Add($"--setup-hook=sync-in {NoSpace(archive)} /var/cache/apt/archives/");
            arguments.Add($"--customize-hook=sync-out /var/cache/apt/archives {NoSpace(collect)}");
        }

        if (image.Provision is { } provision)
        {
            arguments.Add($"--customize-hook=upload {NoSpace(provision)} {ProvisionInTree}");
        }

        arguments.Add($"--customize-hook={setupScript}");
        arguments.Add($"--customize-hook=upload {NoSpace(hostKey)} /etc/ssh/ssh_host_ed25519_key");
        arguments.Add($"--customize-hook=upload {NoSpace(hostKey + ".pub")} /etc/ssh/ssh_host_ed25519_key.pub");
        arguments.Add("--customize-hook=chmod 600 \"$1/etc/ssh/ssh_host_ed25519_key\"");
        arguments.AddRange([image.Suite, tarball, image.Mirror.AbsoluteUri]);
        return arguments;
    }

    // Special hooks split their arguments on spaces, with no quoting: a path with a space cannot be passed at all.
    private static string NoSpace(string path) => path.Contains(' ', StringComparison.Ordinal)
        ? throw new ImageBuildException($"mmdebstrap cannot upload a file whose path has a space: {path}")
        : path;
}
