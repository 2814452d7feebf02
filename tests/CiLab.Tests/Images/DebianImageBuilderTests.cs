using CiLab.Images;
using CiLab.Labs;
using CiLab.Processes;
using CliWrap;

namespace CiLab.Tests.Images;

public sealed class DebianImageBuilderTests
{
    private static readonly ImageDefinition Recipe = new() { Name = "debian", Recipe = "debian", Packages = ["golang-go", "git"] };

    [Fact]
    public void The_cache_key_is_the_recipe_alone_so_every_lab_and_checkout_shares_the_image()
    {
        Assert.Equal(DebianImageBuilder.CacheKey(Recipe, "cilab"), DebianImageBuilder.CacheKey(Recipe, "tester"));
        Assert.Equal(DebianImageBuilder.CacheKey(Recipe, "cilab"), DebianImageBuilder.CacheKey(Recipe with { Name = "renamed" }, "cilab"));
        Assert.NotEqual(DebianImageBuilder.CacheKey(Recipe, "cilab"), DebianImageBuilder.CacheKey(Recipe with { Packages = ["git"] }, "cilab"));
        Assert.NotEqual(DebianImageBuilder.CacheKey(Recipe, "cilab"), DebianImageBuilder.CacheKey(Recipe with { DiskBytes = 8L << 30 }, "cilab"));
    }

    [Fact]
    public void A_cloud_init_image_keeps_its_user_in_the_key_since_its_doas_rule_is_baked()
    {
        var cloud = Recipe with { CloudInit = true };

        Assert.NotEqual(DebianImageBuilder.CacheKey(cloud, "cilab"), DebianImageBuilder.CacheKey(cloud, "tester"));
        Assert.NotEqual(DebianImageBuilder.CacheKey(cloud, "cilab"), DebianImageBuilder.CacheKey(Recipe, "cilab"));
    }

    [Fact]
    public void The_mirror_is_part_of_the_key_since_it_is_written_into_the_image_sources()
    {
        Assert.NotEqual(DebianImageBuilder.CacheKey(Recipe, "cilab"), DebianImageBuilder.CacheKey(Recipe with { Mirror = new("http://mirror.example/debian") }, "cilab"));
    }

    [Fact]
    public void A_normal_user_builds_in_unshare_mode_and_root_in_root_mode_both_with_debian_keyring_and_the_mirror()
    {
        var image = Recipe with { Suite = "trixie", Mirror = new("https://mirror.example/debian/") };

        var user = MmdebstrapArguments.For(image, ["openssh-server", "git"], "setup", "/cache/p/key", "/cache/p/root.tar", asRoot: false);
        var root = MmdebstrapArguments.For(image, ["openssh-server", "git"], "setup", "/cache/p/key", "/cache/p/root.tar", asRoot: true);

        Assert.Contains("--mode=unshare", user);
        Assert.Contains("--mode=root", root);
        Assert.Equal(user.Where(a => !a.StartsWith("--mode=", StringComparison.Ordinal)), root.Where(a => !a.StartsWith("--mode=", StringComparison.Ordinal)));
        // Ubuntu's apt trusts Ubuntu's keys only: Debian's keyring is always named, and the mirror always given.
        Assert.Contains("--keyring=/usr/share/keyrings/debian-archive-keyring.gpg", user);
        Assert.Equal(["trixie", "/cache/p/root.tar", "https://mirror.example/debian/"], user.TakeLast(3));
        Assert.Contains("--include=openssh-server,git", user);
    }

    [Fact]
    public void Files_reach_the_tree_by_upload_hooks_since_a_namespace_root_cannot_read_the_users_files()
    {
        var image = Recipe with { Provision = "/repo/provision.sh" };

        var arguments = MmdebstrapArguments.For(image, ["git"], "the setup script", "/cache/p/key", "/cache/p/root.tar", asRoot: false);

        var hooks = arguments.Where(a => a.StartsWith("--customize-hook=", StringComparison.Ordinal)).Select(a => a["--customize-hook=".Length..]).ToList();
        Assert.Equal(
            ["upload /repo/provision.sh /tmp/cilab-provision.sh", "the setup script", "upload /cache/p/key /etc/ssh/ssh_host_ed25519_key",
             "upload /cache/p/key.pub /etc/ssh/ssh_host_ed25519_key.pub", "chmod 600 \"$1/etc/ssh/ssh_host_ed25519_key\""],
            hooks);
        Assert.Throws<ImageBuildException>(() => MmdebstrapArguments.For(image, ["git"], "s", "/home/a b/key", "/t.tar", asRoot: false));
    }

    [Fact]
    public void The_package_archive_goes_in_before_apt_and_the_builds_packages_come_out_before_the_setup_script_empties_the_cache()
    {
        var arguments = MmdebstrapArguments.For(Recipe, ["git"], "the setup script", "/cache/p/key", "/cache/p/root.tar", asRoot: false, "/cache/apt-archives", "/cache/p/apt-archives");

        Assert.Contains("--skip=essential/unlink", arguments);
        Assert.Equal(
            ["--setup-hook=mkdir -p \"$1/var/cache/apt/archives\"", "--setup-hook=sync-in /cache/apt-archives /var/cache/apt/archives/"],
            arguments.Where(a => a.StartsWith("--setup-hook=", StringComparison.Ordinal)));
        var hooks = arguments.Where(a => a.StartsWith("--customize-hook=", StringComparison.Ordinal)).ToList();
        Assert.Equal("--customize-hook=sync-out /var/cache/apt/archives /cache/p/apt-archives", hooks[0]);
        Assert.Throws<ImageBuildException>(() => MmdebstrapArguments.For(Recipe, ["git"], "s", "/k", "/t.tar", asRoot: false, "/home/a b/apt", "/c"));
        Assert.DoesNotContain(MmdebstrapArguments.For(Recipe, ["git"], "s", "/k", "/t.tar", asRoot: false), a => a.Contains("sync-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_initrd_takes_only_listed_modules_before_the_kernel_package_installs_so_its_install_builds_a_small_one()
    {
        var hook = Assert.Single(MmdebstrapArguments.For(Recipe, ["git"], "s", "/k", "/t.tar", asRoot: false),
            a => a.StartsWith("--essential-hook=", StringComparison.Ordinal))["--essential-hook=".Length..];
        var tree = Directory.CreateTempSubdirectory("cilab-essential-hook-");
        try
        {
            // As mmdebstrap runs a shell hook: the tree is $1.
            var result = await Cli.Wrap("sh").WithArguments(["-c", hook, "exec", tree.FullName]).WithValidation(CommandResultValidation.None)
                .ExecuteBoundedAsync(TestContext.Current.CancellationToken);
            Assert.True(result.ExitCode == 0, result.StandardError);
            Assert.Equal("MODULES=list\n", File.ReadAllText(Path.Combine(tree.FullName, "etc/initramfs-tools/conf.d/cilab")));
        }
        finally
        {
            tree.Delete(recursive: true);
        }
    }
}
