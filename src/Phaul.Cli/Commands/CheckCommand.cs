using System.CommandLine;
using Phaul.Rpc;

namespace Phaul.Cli.Commands;

/// <summary>What <c>phaul check</c> was asked.</summary>
/// <param name="CriuPath">The CRIU binary; null for $PHAUL_CRIU or PATH.</param>
internal sealed record CheckOptions(string? CriuPath);

/// <summary><c>phaul check</c>: can this host take part in a migration, and if not, what fixes it.</summary>
internal static class CheckCommand
{
    // Lazy (post-copy) transfers need CRIU to grow pipes past the default 1 MiB limit.
    private const long MinPipeMaxSize = 4 * 1024 * 1024;
    private const string PipeMaxSizePath = "/proc/sys/fs/pipe-max-size";

    public static Command Create(TextWriter stdout)
    {
        var criu = CommonOptions.Criu();
        var command = new Command("check", "Check CRIU, its kernel features and the host settings a migration needs.") { criu };
        command.SetAction(async (parse, ct) => (int)await RunAsync(new CheckOptions(parse.GetValue(criu)), stdout, ct).ConfigureAwait(false));
        return command;
    }

    public static async Task<ExitCode> RunAsync(CheckOptions options, TextWriter stdout, CancellationToken cancellationToken)
    {
        var report = new CheckReport(stdout);
        report.Require(Environment.IsPrivilegedProcess, "running as root", "CRIU needs root: run phaul as root");
        await CheckCriuAsync(options.CriuPath, report, cancellationToken).ConfigureAwait(false);
        CheckPipeMaxSize(report);
        report.Recommend(RsyncProgram.Find() is not null, $"rsync {RsyncProgram.Find()}: file-system migration (--fs-subtree) available",
                         "rsync not found: --fs-subtree cannot copy files from or to this host; fix: apt-get install rsync");
        return report.ExitCode;
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
            report.Recommend(features.MemTrack, "memory tracking (mem_track): iterative pre-copy available",
                             "no memory tracking (kernel without CONFIG_MEM_SOFT_DIRTY): migrations use stop-and-copy");
            report.Recommend(features.LazyPages, "lazy pages (userfaultfd): post-copy available",
                             "no lazy pages: enable CONFIG_USERFAULTFD and vm.unprivileged_userfaultfd or run as root");
        }
        catch (Exception e) when (e is CriuException or IOException or InvalidOperationException)
        {
            report.Require(false, "", $"CRIU unusable: {e.Message}. Install it with scripts/install-criu.sh or set PHAUL_CRIU");
        }
    }

    private static void CheckPipeMaxSize(CheckReport report)
    {
        var size = long.Parse(File.ReadAllText(PipeMaxSizePath).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        report.Recommend(size >= MinPipeMaxSize, $"fs.pipe-max-size {size}",
                         $"fs.pipe-max-size is {size}: post-copy fails; fix: echo 8388608 > {PipeMaxSizePath}");
    }

    private static string FormatVersion(int version) => $"{version / 10000}.{version / 100 % 100}.{version % 100}";
}
