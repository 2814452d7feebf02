using System.CommandLine;
using CiLab.Host;
using CiLab.Images;
using CiLab.Labs;
using Microsoft.Extensions.Logging;

namespace CiLab.Cli;

/// <summary><c>cilab image list|build|prune</c>: the image cache.</summary>
internal static class ImageCommands
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var lab = new Option<string>("--lab") { Description = "The lab file", DefaultValueFactory = _ => "lab.yaml" };
        var image = new Command("image", CliApplication.Help("Build, list and prune cached guest images.", "cilab image list", "cilab image build", "cilab image prune --yes"));

        var list = new Command("list", CliApplication.Help("List cached images with their size.", "cilab image list", "CILAB_CACHE=/srv/cilab cilab image list"));
        list.SetAction(_ =>
        {
            var cache = ImageCache.Default();
            foreach (var entry in cache.List())
            {
                var directory = Path.Combine(cache.Root, entry);
                var size = Directory.GetFiles(directory).Sum(f => new FileInfo(f).Length);
                var state = cache.Find(entry) is null ? "incomplete" : "ready";
                output.WriteLine($"{entry,-28} {state,-10} {size / 1e6,8:0} MB");
            }

            return 0;
        });

        var build = new Command("build", CliApplication.Help("Build the lab's images now (a cache hit when nothing changed).", "cilab image build", "cilab image build --lab other/lab.yaml")) { lab };
        build.SetAction(async (parse, ct) => await WithLabAsync(parse.GetValue(lab)!, output, error, ct, async (opened, log) =>
        {
            foreach (var vm in opened.Definition.Vms)
            {
                var built = await opened.ImageAsync(vm.Image, vm.User, ct);
                log.LogInformation("{Line}", $"{vm.Image}: {built.Id} ({built.DiskPath})");
            }
        }));

        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation (required when not interactive)" };
        var prune = new Command("prune", CliApplication.Help("Delete cached images the lab does not use (images other labs use, and builds in progress, are kept).", "cilab image prune", "cilab image prune --yes")) { lab, yes };
        prune.SetAction(async (parse, ct) => await WithLabAsync(parse.GetValue(lab)!, output, error, ct, async (opened, log) =>
        {
            var keep = new HashSet<string>();
            foreach (var vm in opened.Definition.Vms)
            {
                var definition = opened.Definition.Image(vm.Image);
                if (definition.Recipe is not null)
                {
                    keep.Add(DebianImageBuilder.CacheKey(definition, vm.User));
                }
            }

            if (!parse.GetValue(yes))
            {
                throw new ArgumentException("'prune' deletes images; pass --yes to confirm.");
            }

            var (removed, kept) = ImageCache.Default().Prune(keep, opened.State.Root);
            foreach (var entry in removed)
            {
                log.LogInformation("{Line}", $"deleted {entry}");
            }

            foreach (var entry in kept)
            {
                log.LogInformation("{Line}", $"kept {entry}");
            }

            await Task.CompletedTask;
        }));

        image.Subcommands.Add(list);
        image.Subcommands.Add(build);
        image.Subcommands.Add(prune);
        return image;
    }

    private static async Task<int> WithLabAsync(string path, TextWriter output, TextWriter error, CancellationToken ct, Func<Lab, ILogger, Task> action)
    {
        try
        {
            var definition = LabFile.Load(path);
            return await LiveStatus.RunAsync(output, $"images of {Path.GetFileName(definition.Path)}", async log =>
            {
                await action(await Lab.OpenAsync(definition, new LabOptions { Log = log }, ct), log);
                return 0;
            });
        }
        catch (Exception e) when (e is CiLabException or FileNotFoundException or ArgumentException)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return e is ArgumentException ? CliApplication.BadInput : 1;
        }
    }
}
