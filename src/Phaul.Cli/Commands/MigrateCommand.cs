using System.CommandLine;
using System.Net;
using Phaul.Cli.Hosting;
using Phaul.Cli.Migration;
using Phaul.Cli.Parsing;

namespace Phaul.Cli.Commands;

/// <summary>What <c>phaul migrate</c> was asked.</summary>
/// <param name="Pid">The tree's root.</param>
/// <param name="To">Where <c>phaul serve</c> listens.</param>
/// <param name="KeyFile">The pre-shared key file.</param>
/// <param name="Strategy">Which strategy to ask for (<c>--strategy</c>).</param>
/// <param name="AllowFallback">Whether a strategy that cannot run falls back to the next best one (no <c>--no-fallback</c>).</param>
/// <param name="JsonFile">Where to write the report as JSON; null for nowhere.</param>
/// <param name="Wdir">Where to keep this migration's images and logs; null for a temporary directory.</param>
/// <param name="CriuPath">The CRIU binary; null for $PHAUL_CRIU or PATH.</param>
/// <param name="Verbose">Log to stderr as well as the progress lines.</param>
/// <param name="FileSystem">What to do with the tree's files (<c>--fs-*</c>); null for nothing.</param>
/// <param name="InsecurePlaintext">Send everything unencrypted (<c>--insecure-plaintext</c>).</param>
/// <param name="Tuning">The CRIU options and the loop's limits (<c>--tcp-established</c>, ..., <c>--max-iterations</c>, <c>--downtime-target</c>).</param>
/// <param name="Container">The container to migrate instead of a tree (<c>--container</c>); null for a tree.</param>
/// <param name="RuntimeRoot">The container runtime's state directory (<c>--runtime-root</c>); null for its default.</param>
/// <param name="CopyRootFileSystem">Copy the container's root file system to the destination (<c>--copy-rootfs</c>).</param>
/// <param name="HandshakeTimeout">The wait for each connection's handshake (<c>--handshake-timeout</c>); null for the default.</param>
internal sealed record MigrateOptions(int Pid, EndPoint To, string KeyFile, MigrationStrategy Strategy, bool AllowFallback, string? JsonFile, string? Wdir,
                                      string? CriuPath, bool Verbose, FileSystemChoice? FileSystem = null, bool InsecurePlaintext = false,
                                      MigrationTuning? Tuning = null, string? Container = null, string? RuntimeRoot = null,
                                      bool CopyRootFileSystem = false, TimeSpan? HandshakeTimeout = null);

/// <summary>
/// <c>phaul migrate</c>: moves a process tree to a host running <c>phaul serve</c>. Progress goes to
/// stderr, the report to stdout; the exit code says where the tree runs (<see cref="ExitCode"/>).
/// </summary>
internal static class MigrateCommand
{
    private const string JsonToStdout = "-";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var pid = new Option<int>("--pid", "-p")
        {
            Description = "The root of the process tree to migrate (or --container)",
            HelpName = "PID",
            CustomParser = OptionParsers.ProcessId,
        };
        var container = new Option<string?>("--container")
        {
            Description = "Migrate this OCI container instead of a tree, through its runtime's checkpoint and restore, by stop-and-copy " +
                          "(or --strategy postcopy, precopy or hybrid); its root file system must be on storage both hosts share (or --copy-rootfs), " +
                          "and the destination runs 'phaul serve --containers'",
            HelpName = "ID",
        };
        var runtime = new Option<string>("--runtime")
        {
            Description = "The container runtime (runc, the default; crun's checkpoint is not supported yet)",
            HelpName = "runc",
            DefaultValueFactory = _ => "runc",
        };
        var runtimeRoot = new Option<string?>("--runtime-root")
        {
            Description = "The runtime's state directory (runc --root; default: the runtime's own, /run/runc)",
            HelpName = "DIR",
        };
        var copyRootfs = new Option<bool>("--copy-rootfs")
        {
            Description = "Copy the container's root file system into its bundle on the destination with rsync (all of it while it runs, " +
                          "the changes while it is paused) instead of expecting it on storage both hosts share",
        };
        var to = new Option<EndPoint>("--to")
        {
            Description = $"HOST:PORT where 'phaul serve' listens (port {Transport.MigrationListenerOptions.DefaultPort} when left out)",
            HelpName = "HOST:PORT",
            Required = true,
            CustomParser = OptionParsers.Destination!,
        };
        var strategy = new Option<MigrationStrategy>("--strategy")
        {
            // Left out, it reads as MigrationStrategy's default, Auto.
            Description = "auto (the default: of the strategies both hosts support, the one predicted from the tree's memory, the link and the dirty rate " +
                          "to have the shortest downtime, or with --downtime-target the shortest total time within it; the report shows the prediction), " +
                          "precopy (copy memory while the tree runs, then freeze for the rest; needs soft-dirty tracking here), " +
                          "stop-and-copy (freeze, copy everything), " +
                          "postcopy (the shortest downtime: freeze only for the non-memory state, resume on the destination, " +
                          "memory follows; needs userfaultfd there and fs.pipe-max-size >= 4 MiB here, see 'phaul check'; " +
                          "if the connection breaks before every page arrived, the process is LOST on both hosts), " +
                          "hybrid (precopy, then postcopy for the rest; needs both, same risk)",
            HelpName = "auto|precopy|stop-and-copy|postcopy|hybrid",
            CustomParser = OptionParsers.Strategy,
        };
        var noFallback = new Option<bool>("--no-fallback")
        {
            Description = "Fail, with the fix, when the strategy asked for cannot run, instead of using the next best one",
        };
        var json = new Option<string?>("--json")
        {
            Description = $"Also write the report as JSON to FILE; '{JsonToStdout}' writes it to stdout, and the text report to stderr",
            HelpName = "FILE",
        };
        var wdir = new Option<string?>("--wdir")
        {
            Description = "Keep this migration's images and CRIU logs in a new directory under DIR (default: a temporary directory, removed after success)",
            HelpName = "DIR",
        };
        var maxIterations = new Option<int?>("--max-iterations")
        {
            Description = "The most pre-dumps before the final dump (precopy, hybrid; default 8)",
            HelpName = "N",
            CustomParser = result => OptionParsers.Iterations(result),
        };
        var downtimeTarget = new Option<TimeSpan?>("--downtime-target")
        {
            Description = "The downtime to stay within (e.g. 300ms, 1.5s): auto picks, of the strategies predicted to meet it, the one with the shortest total time; " +
                          "precopy and hybrid stop pre-copying once the final dump is expected to send its pages within it",
            HelpName = "DURATION",
            CustomParser = OptionParsers.Duration,
        };
        var criuOptions = new CriuCommandOptions();
        var keyFile = CommonOptions.KeyFile();
        var criu = CommonOptions.Criu();
        var verbose = CommonOptions.Verbose();
        var fileSystem = new FileSystemOptions();
        var plaintext = CommonOptions.InsecurePlaintext();
        var handshakeTimeout = CommonOptions.HandshakeTimeout();
        var command = new Command("migrate", $"Live-migrate a process tree to a host running 'phaul serve'.{Environment.NewLine}{ExitCodeHelp.Migrate}")
        {
            pid, to, keyFile, strategy, noFallback, json, wdir, criu, verbose, plaintext, maxIterations, downtimeTarget, container, runtime, runtimeRoot, copyRootfs,
            handshakeTimeout,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetResult(pid) is null) == (result.GetResult(container) is null))
                result.AddError("Give either --pid or --container.");
            if (result.GetValue(runtime) is { } name && name != "runc")
                result.AddError($"--runtime {name}: not supported; only runc's checkpoint and restore are (crun 1.8 on Debian 12 has no checkpoint support)");
            if (result.GetResult(container) is null)
            {
                if (result.GetResult(copyRootfs) is not null || result.GetResult(runtimeRoot) is not null)
                    result.AddError("--copy-rootfs and --runtime-root apply to --container only.");
                return;
            }
            // A container moves through runc's own checkpoint and restore: the tree's loop and CRIU options do not reach it.
            foreach (var option in fileSystem.All.Concat(criuOptions.All).Append(downtimeTarget).Append(noFallback))
            {
                if (result.GetResult(option) is not null)
                    result.AddError($"{option.Name} does not apply to --container: a container moves through its runtime's checkpoint and restore.");
            }
            // The tokens, not the values: reading a value its parser refused throws (that error is reported already).
            var asked = result.GetResult(strategy)?.Tokens is [{ } token] ? OptionParsers.StrategyNames.GetValueOrDefault(token.Value) : MigrationStrategy.Auto;
            if (result.GetResult(maxIterations)?.Tokens is [{ } rounds] && (asked is not (MigrationStrategy.PreCopy or MigrationStrategy.Hybrid)
                                                                          || !int.TryParse(rounds.Value, out var count) || count > 10))
                result.AddError("--max-iterations with --container is the number of pre-dumps, 1 to 10, of --strategy precopy or hybrid.");
        });
        foreach (var option in fileSystem.All.Concat(criuOptions.All))
            command.Options.Add(option);
        command.SetAction(async (parse, ct) =>
        {
            var options = new MigrateOptions(parse.GetValue(pid), parse.GetValue(to)!, parse.GetValue(keyFile)!, parse.GetValue(strategy),
                                             !parse.GetValue(noFallback),
                                             parse.GetValue(json), parse.GetValue(wdir), parse.GetValue(criu), parse.GetValue(verbose),
                                             fileSystem.Bind(parse), parse.GetValue(plaintext),
                                             new MigrationTuning(criuOptions.Bind(parse), parse.GetValue(maxIterations), parse.GetValue(downtimeTarget),
                                                                 criuOptions.ConfigFile(parse)),
                                             parse.GetValue(container), parse.GetValue(runtimeRoot), parse.GetValue(copyRootfs),
                                             parse.GetValue(handshakeTimeout));
            if (options.Container is not null)
                return (int)await RunContainerAsync(options, stdout, stderr, ct).ConfigureAwait(false);
            return (int)await RunAsync(options, stdout, stderr, ct).ConfigureAwait(false);
        });
        return command;
    }

    public static async Task<ExitCode> RunAsync(MigrateOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (KeyFileInput.TryLoad(options.KeyFile, "migrate", stderr) is not { } key || !CheckInputs(options, stderr))
            return ExitCode.BadInput;
        var configError = "";
        var tuning = options.Tuning?.WithConfigFileRead(out configError);
        if (options.Tuning is not null && tuning is null)
        {
            stderr.WriteLine($"phaul migrate: {configError}");
            return ExitCode.BadInput;
        }
        if (CreateWdir(options.Wdir, $"pid{options.Pid}", stderr) is not { } wdir)
            return ExitCode.BadInput;

        using var loggerFactory = CliLogging.Create(CliLogging.ConsoleLevel(options.Verbose));
        var request = new MigrationRequest(options.Pid, options.To, key, options.Strategy, options.AllowFallback, wdir.Path, options.CriuPath,
                                           options.FileSystem, options.InsecurePlaintext, tuning, options.HandshakeTimeout);
        MigrationOutcome outcome;
        try
        {
            outcome = await RemoteMigration.RunAsync(request, loggerFactory, new ProgressLines(stderr), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stderr.WriteLine($"phaul migrate: cancelled; pid {options.Pid} keeps running here.");
            ReportKept(wdir, stderr);
            return ExitCode.Interrupted;
        }
        catch (Exception e) when (RemoteMigration.DescribeFailure(e, options.Pid) is { } failure)
        {
            stderr.WriteLine($"phaul migrate: {failure}");
            ReportKept(wdir, stderr);
            return RemoteMigration.ExitCodeFor(e);
        }

        ReportWriter.Write(options.JsonFile == JsonToStdout ? stderr : stdout, outcome);
        wdir.Succeeded();
        var written = WriteJson(options.JsonFile, outcome.Report, stdout, stderr);
        if (outcome.Incomplete is { } incomplete)
        {
            stderr.WriteLine($"phaul migrate: migrated, without a report: {incomplete}");
            return ExitCode.MigratedWithWarning;
        }
        return written ? ExitCode.Success : ExitCode.MigratedWithWarning;
    }

    public static async Task<ExitCode> RunContainerAsync(MigrateOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var id = options.Container!;
        if (KeyFileInput.TryLoad(options.KeyFile, "migrate", stderr) is not { } key || !CheckJsonFile(options.JsonFile, stderr))
            return ExitCode.BadInput;
        var runtime = new Containers.RuncRuntimeOptions { Root = options.RuntimeRoot, CriuPath = options.CriuPath };
        if (CreateWdir(options.Wdir, $"container-{id}", stderr) is not { } wdir)
            return ExitCode.BadInput;
        var request = new ContainerMigrationRequest(id, runtime, options.To, key, wdir.Path, options.InsecurePlaintext, options.CopyRootFileSystem,
                                                    ContainerCliMigration.StrategyFor(options.Strategy), options.Tuning?.MaxIterations ?? 2,
                                                    options.HandshakeTimeout);
        using var loggerFactory = CliLogging.Create(CliLogging.ConsoleLevel(options.Verbose));
        Containers.ContainerMigrationReport report;
        try
        {
            if (await ContainerCliMigration.RefusalAsync(request, cancellationToken).ConfigureAwait(false) is { } refusal)
            {
                stderr.WriteLine($"phaul migrate: {refusal}");
                wdir.Failed();
                return ExitCode.BadInput;
            }
            report = await ContainerCliMigration.RunAsync(request, loggerFactory, new ProgressLines(stderr), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stderr.WriteLine($"phaul migrate: cancelled; container '{id}' keeps running here.");
            ReportKept(wdir, stderr);
            return ExitCode.Interrupted;
        }
        catch (Exception e) when (ContainerCliMigration.DescribeFailure(e, id) is { } failure)
        {
            stderr.WriteLine($"phaul migrate: {failure}");
            ReportKept(wdir, stderr);
            return ContainerCliMigration.ExitCodeFor(e);
        }
        ContainerCliMigration.WriteReport(options.JsonFile == JsonToStdout ? stderr : stdout, report, options.To.ToString()!);
        wdir.Succeeded();
        return WriteText(options.JsonFile, ContainerCliMigration.ToJson(report), $"container '{id}'", stdout, stderr)
            ? ExitCode.Success : ExitCode.MigratedWithWarning;
    }

    private static SourceWorkDirectory? CreateWdir(string? parent, string subject, TextWriter stderr)
    {
        try
        {
            return SourceWorkDirectory.Create(parent, subject);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"phaul migrate: --wdir: {e.Message}");
            return null;
        }
    }

    private static void ReportKept(SourceWorkDirectory wdir, TextWriter stderr)
    {
        if (wdir.Failed() is { } kept)
            stderr.WriteLine($"phaul migrate: images and CRIU logs: {kept}");
    }

    private static bool CheckInputs(MigrateOptions options, TextWriter stderr)
    {
        if (!Directory.Exists($"/proc/{options.Pid}"))
        {
            stderr.WriteLine($"phaul migrate: --pid {options.Pid}: no such process");
            return false;
        }
        if (options.Tuning?.CriuConfigFile is { } config && !File.Exists(config))
        {
            stderr.WriteLine($"phaul migrate: --criu-config {config}: no such file");
            return false;
        }
        if (options.FileSystem?.Problem() is { } problem)
        {
            stderr.WriteLine($"phaul migrate: {problem}");
            return false;
        }
        return CheckJsonFile(options.JsonFile, stderr);
    }

    private static bool CheckJsonFile(string? jsonFile, TextWriter stderr)
    {
        var jsonDirectory = jsonFile is null or JsonToStdout ? null : Path.GetDirectoryName(Path.GetFullPath(jsonFile));
        if (jsonDirectory is not null && !Directory.Exists(jsonDirectory))
        {
            stderr.WriteLine($"phaul migrate: --json {jsonFile}: directory '{jsonDirectory}' does not exist");
            return false;
        }
        return true;
    }

    /// <returns>Whether the report was written, or none was asked for.</returns>
    private static bool WriteJson(string? path, MigrationReport? report, TextWriter stdout, TextWriter stderr)
    {
        if (path is null)
            return true;
        if (report is null)
        {
            stderr.WriteLine($"phaul migrate: the tree was migrated, but there is no report to write to --json {path}");
            return false;
        }
        return WriteText(path, report.ToJson(), "the tree", stdout, stderr);
    }

    /// <summary>Writes the report's JSON to --json <paramref name="path"/>; <paramref name="migrated"/> names what moved in the message (e.g. "the tree").</summary>
    /// <returns>Whether the report's JSON was written, or none was asked for.</returns>
    private static bool WriteText(string? path, string json, string migrated, TextWriter stdout, TextWriter stderr)
    {
        if (path is null)
            return true;
        if (path == JsonToStdout)
        {
            stdout.WriteLine(json);
            return true;
        }
        try
        {
            File.WriteAllText(path, json);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"phaul migrate: {migrated} was migrated, but the report could not be written to --json {path}: {e.Message}");
            return false;
        }
    }
}
