using System.CommandLine;
using Phaul.Containers;
using Phaul.FileSystem;
using Phaul.Rpc;

namespace Phaul.Cli.Commands;

/// <summary>What <c>phaul check</c> was asked.</summary>
/// <param name="CriuPath">The CRIU binary; null for $PHAUL_CRIU or PATH.</param>
/// <param name="Json">Print one JSON document instead of text lines.</param>
internal sealed record CheckOptions(string? CriuPath, bool Json = false);

/// <summary><c>phaul check</c>: can this host take part in a migration, and if not, what fixes it.</summary>
internal static class CheckCommand
{
    private const string PipeMaxSizePath = "/proc/sys/fs/pipe-max-size";

    // Runtimes whose containers Phaul cannot move yet; check names them when they are installed.
    private static readonly string[] OtherRuntimes = ["crun", "podman"];

    public static Command Create(TextWriter stdout)
    {
        var criu = CommonOptions.Criu();
        var json = new Option<bool>("--json") { Description = "Print the checks as one JSON document (schemaVersion, ready, checks: status and text)" };
        var command = new Command("check", "Check CRIU, the kernel features and host settings each strategy needs (memory tracking, lazy pages, pipe size, overcommit), with the fix for each problem.")
        {
            criu, json,
        };
        command.SetAction(async (parse, ct) =>
            (int)await RunAsync(new CheckOptions(parse.GetValue(criu), parse.GetValue(json)), stdout, ct).ConfigureAwait(false));
        return command;
    }

    public static async Task<ExitCode> RunAsync(CheckOptions options, TextWriter stdout, CancellationToken cancellationToken)
    {
        var report = new CheckReport(stdout, options.Json);
        report.Require(Environment.IsPrivilegedProcess, "running as root", "CRIU needs root: run phaul as root");
        await CheckCriuAsync(options.CriuPath, report, cancellationToken).ConfigureAwait(false);
        CheckPipeMaxSize(report);
        CheckOvercommit(report, DestinationMemory.ReadLocal());
        report.Recommend(RsyncProgram.Find() is not null, $"rsync {RsyncProgram.Find()}: file-system migration (--fs-subtree) available",
                         "rsync not found: --fs-subtree cannot copy files from or to this host; fix: apt-get install rsync");
        await CheckContainerRuntimesAsync(options.CriuPath, report, cancellationToken).ConfigureAwait(false);
        report.Finish();
        return report.ExitCode;
    }

    /// <summary>The container runtimes found here, and whether Phaul can migrate their containers.</summary>
    private static async Task CheckContainerRuntimesAsync(string? criuPath, CheckReport report, CancellationToken cancellationToken)
    {
        string? runc = null, failure = null;
        try
        {
            runc = await new RuncRuntime(new RuncRuntimeOptions { CriuPath = criuPath }).GetVersionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ContainerRuntimeException e)
        {
            failure = e.Message;
        }
        report.Recommend(runc is not null, $"{runc}: container migration (--container, serve --containers) available",
                         $"no usable runc ({failure}): no container migration from or to this host; fix: apt-get install runc");
        foreach (var (other, path) in OtherRuntimes.Select(name => (name, RsyncProgram.Find(name))).Where(found => found.Item2 is not null))
            report.Recommend(false, "", $"{other} found at {path}: Phaul migrates containers through runc only; move {other}'s containers with its own checkpoint and restore");
    }

    private static async Task CheckCriuAsync(string? criuPath, CheckReport report, CancellationToken cancellationToken)
    {
        try
        {
            using var criu = new Criu(criuPath);
            var version = await criu.GetCriuVersionAsync(cancellationToken).ConfigureAwait(false);
            report.Require(true, $"CRIU {FormatVersion(version)}", "");
            var features = await criu.FeatureCheckAsync(new CriuFeatures { MemTrack = true, LazyPages = true },
                                                        cancellationToken).ConfigureAwait(false);
            report.Recommend(features.MemTrack, "memory tracking (mem_track): pre-copy and hybrid can run from this host",
                             "no memory tracking (kernel without CONFIG_MEM_SOFT_DIRTY): no pre-copy or hybrid from this host; " +
                             "migrations use post-copy or stop-and-copy");
            report.Recommend(features.LazyPages, "lazy pages (userfaultfd): post-copy and hybrid can run to this host",
                             "no lazy pages (CRIU's lazy_pages feature check failed): no post-copy or hybrid to this host; " +
                             "fix: a kernel with CONFIG_USERFAULTFD=y, and CRIU run as root");
        }
        catch (Exception e) when (e is CriuException or IOException or InvalidOperationException)
        {
            report.Require(false, "", $"CRIU unusable: {e.Message}. Install it with scripts/install-criu.sh or set PHAUL_CRIU");
        }
    }

    private static void CheckPipeMaxSize(CheckReport report) =>
        CheckPipeMaxSize(report, File.ReadAllText(PipeMaxSizePath), File.ReadAllText("/proc/self/status"));

    /// <summary>The post-copy source's pipe rule, judged as the migration core judges it, from those two files' contents.</summary>
    public static void CheckPipeMaxSize(CheckReport report, string pipeMaxSize, string status)
    {
        var why = PipeSizeRequirement.Evaluate(pipeMaxSize, status);
        report.Recommend(why is null,
                         $"fs.pipe-max-size {pipeMaxSize.Trim()}: post-copy and hybrid can run from this host " +
                         $"(CRIU's lazy page server needs {PipeSizeRequirement.RequiredBytes / (1024 * 1024)} MiB pipes)",
                         $"fs.pipe-max-size too small: no post-copy or hybrid from this host: {why}");
    }

    /// <summary>The destination's overcommit rule for post-copy (Phaul.Core's PremapRule), as the migration core judges it.</summary>
    public static void CheckOvercommit(CheckReport report, DestinationMemory? host)
    {
        if (host is null)
        {
            report.Recommend(false, "", "vm.overcommit_memory or /proc/meminfo unreadable: whether post-copy can restore large trees here is unknown");
            return;
        }
        var (ok, text) = host.DescribeForPostCopy();
        report.Recommend(ok, text, text);
    }

    private static string FormatVersion(int version) => $"{version / 10000}.{version / 100 % 100}.{version % 100}";
}
