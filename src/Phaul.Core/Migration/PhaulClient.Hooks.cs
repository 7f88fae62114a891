using System.Collections.ObjectModel;
using System.Diagnostics;

namespace Phaul;

public sealed partial class PhaulClient
{
    /// <summary>Runs one phase of every hook, in order, and records each in the report.</summary>
    private async Task RunHooksAsync(MigrationRun run, MigrationHookPhase phase, int? iteration,
                                     Func<IMigrationHook, Task<IReadOnlyDictionary<string, long>>> runPhase)
    {
        if (_options.Hooks.Count == 0)
            return;
        // During the freeze the step stays the final stage's: a failure there is the dump's.
        if (phase != MigrationHookPhase.WhileFrozen)
            run.Enter(MigrationStep.RunHooks, iteration);
        foreach (var hook in _options.Hooks)
        {
            var started = Stopwatch.GetTimestamp();
            var figures = await runPhase(hook).ConfigureAwait(false);
            var duration = Stopwatch.GetElapsedTime(started);
            var report = new MigrationHookReport
            {
                Hook = hook.Name,
                Phase = phase,
                Iteration = iteration,
                Duration = duration,
                // A copy: the report must not change when the hook reuses its dictionary.
                Figures = figures is null ? ReadOnlyDictionary<string, long>.Empty : new Dictionary<string, long>(figures, StringComparer.Ordinal),
            };
            run.RecordHook(report);
            _logger.HookPhaseCompleted(hook.Name, phase, duration);
            Report(new(MigrationProgressKind.HookCompleted) { Iteration = iteration, Hook = report });
        }
    }

    /// <summary>The CRIU the final stage gets: with the hooks' freeze phase in its dump's post-dump notification when there are hooks.</summary>
    private ICriu WithFrozenHooks(ICriu criu, MigrationRun run, CancellationToken cancellationToken)
    {
        if (_options.Hooks.Count == 0)
            return criu;
        var wrapped = new PostDumpHookCriu(criu, () => RunFrozenHooksAsync(run, cancellationToken));
        run.FrozenHooks = wrapped;
        return wrapped;
    }

    private async Task RunFrozenHooksAsync(MigrationRun run, CancellationToken cancellationToken)
    {
        IMigrationHook? running = null;
        try
        {
            await RunHooksAsync(run, MigrationHookPhase.WhileFrozen, null, hook =>
            {
                running = hook;
                return hook.WhileFrozenAsync(cancellationToken);
            }).ConfigureAwait(false);
        }
        catch (Exception failure)
        {
            run.FrozenHookFailed = running?.Name;
            _logger.HookFailedWhileFrozen(running?.Name, failure);
            throw;
        }
    }

    /// <summary>
    /// Ends every hook. After a failure a hook's own failure is logged, not thrown: the migration's is the one to
    /// report. After a success too: the tree runs on the destination by then.
    /// </summary>
    private async Task CompleteHooksAsync(bool migrated)
    {
        foreach (var hook in _options.Hooks)
        {
            try
            {
                await hook.CompleteAsync(migrated, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Logged; the migration's outcome stands.
            catch (Exception failure)
#pragma warning restore CA1031
            {
                _logger.HookCompletionFailed(hook.Name, migrated, failure);
            }
        }
    }
}
