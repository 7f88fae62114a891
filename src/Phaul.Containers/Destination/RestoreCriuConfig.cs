using System.Text.Json.Nodes;

namespace Phaul.Containers;

/// <summary>
/// The CRIU configuration file a migrated container is restored with, named by its <c>org.criu.config</c> annotation:
/// this host's own (runc's default, <c>/etc/criu/runc.conf</c>, when there is one), never a file the source's config
/// named (CRIU's configuration can name commands to run), plus the cgroup this host gives the container. runc 1.1 hands
/// CRIU the container's cgroup on cgroup v1 only; on v2 CRIU would put the restored processes into the cgroup the
/// source's images name, not the one runc set up and manages here (on one machine, the source's paused one, frozen,
/// where the restore hangs).
/// </summary>
internal static class RestoreCriuConfig
{
    private const string Annotation = "org.criu.config";
    private const string FileName = "criu-restore.conf";
    private const string RuncDefault = "/etc/criu/runc.conf";

    /// <summary>Makes <paramref name="config"/> name this host's file in <paramref name="bundle"/>, whatever the source's named.</summary>
    public static void Annotate(JsonObject config, string bundle)
    {
        if (config["annotations"] is not JsonObject annotations)
            config["annotations"] = annotations = [];
        annotations[Annotation] = Path.Combine(bundle, FileName);
    }

    /// <summary>Writes the file: runc's default configuration of this host, then the container's cgroup, if this host chose it.</summary>
    public static async Task WriteAsync(string bundle, string? cgroupPath, CancellationToken cancellationToken)
    {
        var lines = new List<string> { "# The CRIU options this host restores a migrated container with (written by Phaul)." };
        if (File.Exists(RuncDefault))
            lines.Add(await File.ReadAllTextAsync(RuncDefault, cancellationToken).ConfigureAwait(false));
        if (cgroupPath is not null)
            lines.Add($"cgroup-root {cgroupPath}");
        await File.WriteAllLinesAsync(Path.Combine(bundle, FileName), lines, cancellationToken).ConfigureAwait(false);
    }
}
