using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Phaul;

/// <summary>
/// The source side of a migration: picks a strategy (<see cref="PhaulClientOptions.Strategy"/>), pre-copies
/// the tree's memory to the destination while it runs (pre-copy, hybrid), then hands the final dump, copy
/// and restore to an <see cref="IPhaulLocal"/>, or for post-copy and hybrid the lazy variant to an
/// <see cref="IPhaulPostCopyLocal"/> in a lazy iteration of an <see cref="IPhaulPostCopyRemote"/>.
/// </summary>
/// <remarks>
/// Cancelling <see cref="MigrateAsync"/>: before the final stage, the current pre-dump ends (CRIU is never killed while
/// it holds the tree: its next notification is failed, or it completes) and the tree keeps running on the source.
/// During the final stage the tree is frozen: the token goes to <see cref="IPhaulLocal.DumpCopyRestoreAsync"/>,
/// whose dump then fails through CRIU's own failure path, which unlocks the tree's network and resumes it on the
/// source; once the source has stopped its copy and committed the hand-over, the stage is no longer cancellable
/// (docs/handover.md). Either way a started iteration is still
/// ended with <see cref="IPhaulRemote.StopIterAsync"/> (not cancellable; bounded by the destination's own
/// timeout) so that no page server is left behind, and <see cref="OperationCanceledException"/> is thrown.
/// <para>
/// When a pre-dump or the final stage fails or is cancelled, the memory socket (<see cref="PhaulConfig.Memfd"/>)
/// is shut down for writing before the iteration is stopped: the destination's page server then sees the end
/// of the stream at once instead of waiting for pages that never come. The stream is in an unknown state after
/// such a failure anyway; another attempt needs a new connection.
/// </para>
/// <para>
/// A post-copy final stage can be cancelled only until the destination resumed the tree: after that its
/// memory must follow or the process is lost, so the stage runs to its end, bounded by the destination's
/// <see cref="PhaulServerOptions.PostCopyTimeout"/>.
/// </para>
/// </remarks>
public sealed partial class PhaulClient
{
    private readonly IPhaulLocal _local;
    private readonly IPhaulRemote _remote;
    private readonly PhaulConfig _config;
    private readonly PhaulClientOptions _options;
    private readonly ConvergencePolicy _convergence;
    private readonly ILogger _logger;
    private readonly MigrationDependencies _dependencies;
    private int _migrated;

    private PhaulClient(IPhaulLocal local, IPhaulRemote remote, PhaulConfig config, PhaulClientOptions options,
                        ILogger logger, MigrationDependencies dependencies)
    {
        _local = local;
        _remote = remote;
        _config = config;
        _options = options;
        _convergence = options.Convergence;
        _logger = logger;
        _dependencies = dependencies;
    }

    /// <summary>Creates a client after checking its arguments; nothing is started.</summary>
    /// <param name="local">Runs the final stage on the source.</param>
    /// <param name="remote">Reaches the destination (a <see cref="PhaulServer"/>, directly or over an RPC).</param>
    /// <param name="config">The tree (<c>Pid</c>), the memory socket (<c>Memfd</c>) and the source's working directory (<c>Wdir</c>).</param>
    /// <param name="options">How to migrate; null for the defaults.</param>
    /// <param name="loggerFactory">Where to log; null for no logging.</param>
    /// <exception cref="ArgumentException">A field of <paramref name="config"/> or <paramref name="options"/> is invalid; the message names it.</exception>
    public static PhaulClient MakePhaulClient(IPhaulLocal local, IPhaulRemote remote, PhaulConfig config,
                                              PhaulClientOptions? options = null, ILoggerFactory? loggerFactory = null) =>
        Create(local, remote, config, options, loggerFactory, MigrationDependencies.Default);

    internal static PhaulClient Create(IPhaulLocal local, IPhaulRemote remote, PhaulConfig config,
                                       PhaulClientOptions? options, ILoggerFactory? loggerFactory,
                                       MigrationDependencies dependencies)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(remote);
        PhaulConfigValidation.Validate(config, requirePid: true);
        options ??= new PhaulClientOptions();
        options.Validate();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PhaulClient>();
        return new PhaulClient(local, remote, config, options, logger, dependencies);
    }

    /// <summary>Migrates the tree. Call once per client.</summary>
    /// <param name="cancellationToken">Abandons the migration; see the remarks on <see cref="PhaulClient"/>.</param>
    /// <returns>What the migration did.</returns>
    /// <exception cref="MigrationException">
    /// A step failed; unless <see cref="MigrationException.FinalStageCompleted"/> or <see cref="MigrationException.ProcessLost"/>,
    /// the tree runs on the source. A strategy that cannot run without a fallback fails at <see cref="MigrationStep.CheckFeatures"/>
    /// with a <see cref="StrategyUnavailableException"/> inside. A tree CRIU cannot dump (a kernel thread, the host's init,
    /// phaul or its ancestor, a process breaking CRIU's PID-namespace rules) fails at <see cref="MigrationStep.CheckTree"/>,
    /// before anything is started or frozen, with the fix in the message.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the tree runs on the source.</exception>
    /// <exception cref="InvalidOperationException">This client has migrated (or tried to) before.</exception>
    public async Task<MigrationReport> MigrateAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _migrated, 1) != 0)
            throw new InvalidOperationException("MigrateAsync runs once per PhaulClient: make a new client, with an empty Wdir, for another migration.");
        var run = new MigrationRun(_config);
        using var criu = (_options.CriuFactory ?? (() => new Criu()))();
        try
        {
            run.Enter(MigrationStep.CheckTree);
            CheckTree();
            run.Enter(MigrationStep.PrepareCriu);
            if (criu is ILocalCriu prepared)
            {
                prepared.Prepare();
                run.Chain = new DumpStatisticsChain();
            }
            await ChooseStrategyAsync(criu, run, cancellationToken).ConfigureAwait(false);
            await RunHooksAsync(run, MigrationHookPhase.BeforeIterations, null, hook => hook.BeforeIterationsAsync(cancellationToken))
                .ConfigureAwait(false);
            var lastImagesDir = StrategySelection.NeedsMemoryTracking(run.Strategy)
                ? await PreCopyAsync(criu, run, cancellationToken).ConfigureAwait(false)
                : "";
            await FinalStageAsync(WithFrozenHooks(criu, run, cancellationToken), run, lastImagesDir, cancellationToken).ConfigureAwait(false);
            await CompleteHooksAsync(migrated: true).ConfigureAwait(false);
            var report = run.Complete();
            _logger.MigrationCompleted(_config.Pid, report.RestoredPid, report.Strategy, report.Duration);
            return report;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _logger.MigrationCancelled(_config.Pid, run.Step, run.Iteration);
            run.Cancel();
            await CompleteHooksAsync(run.FinalStageCompleted).ConfigureAwait(false);
            throw;
        }
        catch (Exception cause)
        {
            await CompleteHooksAsync(run.FinalStageCompleted).ConfigureAwait(false);
            var failure = run.Fail(run.FrozenHookFailure ?? cause);
            _logger.MigrationFailed(_config.Pid, run.Step, run.Iteration, failure);
            throw failure;
        }
        finally
        {
            (criu as ILocalCriu)?.Cleanup();
        }
    }

    /// <summary>Refuses a tree CRIU cannot dump, before anything is started or frozen; logs what CRIU will do with its namespaces.</summary>
    private void CheckTree()
    {
        var verdict = _dependencies.TreeCheck(_config.Pid);
        if (verdict.Refusal is { } refusal)
        {
            _logger.TreeRefused(_config.Pid, refusal);
            throw new TreeNotDumpableException(refusal);
        }
        foreach (var note in verdict.Notes)
        {
            if (note.NeedsAttention)
                _logger.TreeNeedsAttention(_config.Pid, note.Subject, note.Text);
            else
                _logger.TreeNote(_config.Pid, note.Subject, note.Text);
        }
    }
}
