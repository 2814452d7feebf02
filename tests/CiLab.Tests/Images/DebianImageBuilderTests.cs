using CiLab.Images;
using CiLab.Labs;

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
}
