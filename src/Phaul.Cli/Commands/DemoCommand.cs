using System.CommandLine;
using System.Net;
using Phaul.Cli.Hosting;
using Phaul.Cli.Migration;
using Phaul.Cli.Parsing;
using Phaul.DemoWorkload;
using Phaul.Transport;

namespace Phaul.Cli.Commands;

/// <summary>What <c>phaul demo</c> was asked.</summary>
/// <param name="MemoryMiB">The workload's verified memory.</param>
/// <param name="CriuPath">The CRIU binary; null for $PHAUL_CRIU or PATH.</param>
/// <param name="Verbose">Log to stderr as well as the progress lines.</param>
internal sealed record DemoOptions(int MemoryMiB, string? CriuPath, bool Verbose);

/// <summary>
/// <c>phaul demo</c>: on this one machine, migrates a demo workload to a destination service on
/// loopback through the same transport and code path as <c>phaul migrate</c>, then shows that it
/// continues under its new pid with its state intact. Everything it started and wrote is removed
/// at the end, also after Ctrl-C or SIGTERM. Exit code 0 only when the workload provably continued.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var memory = new Option<int>("--memory", "-m")
        {
            Description = "The workload's memory in MiB, filled with a pattern it keeps verifying",
            HelpName = "MIB",
            CustomParser = OptionParsers.MemoryMiB,
            DefaultValueFactory = _ => 64,
        };
        var criu = CommonOptions.Criu();
        var verbose = CommonOptions.Verbose();
        var command = new Command("demo", "Migrate a demo workload to a destination service on this machine and show that it continues.")
        {
            memory, criu, verbose,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = new DemoOptions(parse.GetValue(memory), parse.GetValue(criu), parse.GetValue(verbose));
            return (int)await RunAsync(options, stdout, stderr, ct).ConfigureAwait(false);
        });
        return command;
    }

    public static async Task<ExitCode> RunAsync(DemoOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        using var loggerFactory = CliLogging.Create(CliLogging.ConsoleLevel(options.Verbose));
        var scratch = Directory.CreateTempSubdirectory("phaul-demo-").FullName;
        Workload? workload = null;
        try
        {
            stdout.WriteLine($"phaul demo: a {options.MemoryMiB} MiB workload migrates to a destination service on this machine, " +
                             "through the same transport as 'phaul migrate'.");
            workload = await DemoWorkloadCheck.StartAsync(options.MemoryMiB, stdout, stderr, cancellationToken).ConfigureAwait(false);
            if (workload is null)
                return ExitCode.Failed;
            var key = PreSharedKey.GenerateFile(Path.Combine(scratch, "key"));
            var listener = MigrationListener.Start(new MigrationListenerOptions
            {
                EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                Wdir = Directory.CreateDirectory(Path.Combine(scratch, "destination")).FullName,
                Key = key,
                Server = options.CriuPath is { } path ? new PhaulServerOptions { CriuFactory = () => new Criu(path) } : null,
            }, loggerFactory);
            await using (listener.ConfigureAwait(false))
            {
                stdout.WriteLine($"destination  phaul's destination service listening on {listener.LocalEndPoint} (temporary key and directory)");
                var before = workload.ReadStatus();
                var sourceDirectory = Directory.CreateDirectory(Path.Combine(scratch, "source")).FullName;
                var request = new MigrationRequest(workload.Pid, listener.LocalEndPoint, key, MigrationStrategy.Auto, AllowFallback: true,
                                                   sourceDirectory, options.CriuPath);
                var outcome = await RemoteMigration.RunAsync(request, loggerFactory, new ProgressLines(stderr), cancellationToken).ConfigureAwait(false);
                ReportWriter.Write(stdout, outcome);
                return await DemoWorkloadCheck.ConfirmContinuedAsync(workload, before, outcome.RestoredPid, stdout, stderr, cancellationToken)
                                              .ConfigureAwait(false)
                    ? ExitCode.Success
                    : ExitCode.Failed;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stderr.WriteLine("phaul demo: cancelled; stopping the workload and removing its files");
            return ExitCode.Interrupted;
        }
        catch (Exception e) when (workload is not null && RemoteMigration.DescribeFailure(e, workload.Pid) is { } failure)
        {
            stderr.WriteLine($"phaul demo: {failure}");
            return RemoteMigration.ExitCodeFor(e);
        }
        finally
        {
            workload?.Dispose();
            Directory.Delete(scratch, recursive: true);
        }
    }
}
