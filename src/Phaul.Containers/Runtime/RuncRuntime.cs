using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Phaul.Containers;

/// <summary>
/// The runc command line on one state directory: the container operations a migration needs, each one runc command
/// waited for. runc does the container work itself (its checkpoint and restore derive CRIU's options from the
/// container's state: root, mounts, cgroups, namespaces), so that afterwards runc knows the container on either host.
/// </summary>
public sealed partial class RuncRuntime
{
    private const int ErrorLines = 3;
    private const int CriuLogLines = 20;

    private readonly RuncRuntimeOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates one; nothing runs until an operation is called.</summary>
    /// <param name="options">Which runc, on which root, with which CRIU; null for the defaults.</param>
    /// <param name="logger">Where each command's outcome is logged; null for none.</param>
    public RuncRuntime(RuncRuntimeOptions? options = null, ILogger<RuncRuntime>? logger = null)
    {
        _options = options ?? new RuncRuntimeOptions();
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>runc's state directory, as given; null for runc's default.</summary>
    public string? Root => _options.Root;

    /// <summary>The first line of <c>runc --version</c> (e.g. "runc version 1.1.5").</summary>
    /// <exception cref="ContainerRuntimeException">runc is missing or failed.</exception>
    public async Task<string> GetVersionAsync(CancellationToken cancellationToken = default)
    {
        var output = await RunAsync(["--version"], "asking for runc's version", null, cancellationToken).ConfigureAwait(false);
        return output.FirstOrDefault(line => line.Length > 0) ?? "";
    }

    /// <summary>The state of container <paramref name="id"/>; null when this root has no such container.</summary>
    /// <exception cref="ContainerRuntimeException">runc failed otherwise, or printed what is not a state.</exception>
    public async Task<ContainerState?> GetStateAsync(string id, CancellationToken cancellationToken = default)
    {
        CheckId(id);
        var outcome = await RunCommandAsync(["state", id], cancellationToken).ConfigureAwait(false);
        if (!outcome.Succeeded && outcome.Output.Any(line => line.Contains("does not exist", StringComparison.Ordinal)))
            return null;
        var output = Succeeded(outcome, $"reading the state of container '{id}'", null);
        return ParseState(string.Join('\n', output), id);
    }

    /// <summary>Freezes every process of the container (<c>runc pause</c>).</summary>
    /// <exception cref="ContainerRuntimeException">runc failed (e.g. no such container, or it is not running).</exception>
    public Task PauseAsync(string id, CancellationToken cancellationToken = default) =>
        RunOnContainerAsync(["pause", id], id, "pausing", cancellationToken);

    /// <summary>Thaws a paused container (<c>runc resume</c>).</summary>
    /// <exception cref="ContainerRuntimeException">runc failed (e.g. no such container, or it is not paused).</exception>
    public Task ResumeAsync(string id, CancellationToken cancellationToken = default) =>
        RunOnContainerAsync(["resume", id], id, "resuming", cancellationToken);

    /// <summary>Removes the container from this root (<c>runc delete</c>); with <paramref name="force"/>, kills it first.</summary>
    /// <exception cref="ContainerRuntimeException">runc failed.</exception>
    public Task DeleteAsync(string id, bool force, CancellationToken cancellationToken = default) =>
        RunOnContainerAsync(force ? ["delete", "--force", id] : ["delete", id], id, "deleting", cancellationToken);

    /// <summary>Dumps the container with runc's checkpoint (CRIU underneath).</summary>
    /// <exception cref="ContainerRuntimeException">The checkpoint failed; it carries the end of CRIU's dump.log.</exception>
    public Task CheckpointAsync(string id, RuncCheckpointOptions checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CheckId(id);
        return RunAsync([.. CheckpointArguments(checkpoint), id], CheckpointWhat(id, checkpoint), DumpLog(checkpoint), cancellationToken);
    }

    /// <summary>
    /// Pre-dumps the running container's memory (<c>runc checkpoint --pre-dump</c>): it runs on, and a later checkpoint
    /// with <see cref="RuncCheckpointOptions.ParentPath"/> naming these images dumps only what changed since. Needs the
    /// kernel's dirty-memory tracking (soft-dirty bits), which CRIU checks first.
    /// </summary>
    /// <exception cref="ContainerRuntimeException">The pre-dump failed (e.g. no dirty-memory tracking here); the container runs on.</exception>
    public Task PreDumpAsync(string id, RuncCheckpointOptions checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CheckId(id);
        return RunAsync([.. CheckpointArguments(checkpoint with { LeaveRunning = false, TcpEstablished = false }), "--pre-dump", id],
                        $"pre-dumping container '{id}' into {checkpoint.ImagePath}", DumpLog(checkpoint), cancellationToken);
    }

    private static List<string> CheckpointArguments(RuncCheckpointOptions checkpoint)
    {
        List<string> arguments = ["checkpoint", "--image-path", checkpoint.ImagePath, "--work-path", checkpoint.WorkPath];
        if (checkpoint.LeaveRunning)
            arguments.Add("--leave-running");
        if (checkpoint.TcpEstablished)
            arguments.Add("--tcp-established");
        if (checkpoint.ParentPath is { } parent)
        {
            arguments.Add("--parent-path");
            arguments.Add(parent);
        }
        return arguments;
    }

    private static string CheckpointWhat(string id, RuncCheckpointOptions checkpoint) => $"checkpointing container '{id}' into {checkpoint.ImagePath}";

    private static string DumpLog(RuncCheckpointOptions checkpoint) => Path.Combine(checkpoint.WorkPath, "dump.log");

    /// <summary>
    /// Restores container <paramref name="id"/> from <paramref name="imagePath"/> with the bundle
    /// <paramref name="bundle"/>, detached (<c>runc restore -d</c>), and returns its state.
    /// </summary>
    /// <param name="id">The container.</param>
    /// <param name="bundle">Its bundle here.</param>
    /// <param name="imagePath">The checkpoint's images.</param>
    /// <param name="workPath">Where CRIU's restore.log goes.</param>
    /// <param name="tcpEstablished">Restore established TCP connections (the checkpoint dumped them: <see cref="RuncCheckpointOptions.TcpEstablished"/>).</param>
    /// <param name="cancellationToken">Kills runc.</param>
    /// <exception cref="ContainerRuntimeException">The restore failed; it carries the end of CRIU's restore.log.</exception>
    public Task<ContainerState> RestoreAsync(string id, string bundle, string imagePath, string workPath, bool tcpEstablished = false,
                                             CancellationToken cancellationToken = default) =>
        RestoreAsync(id, bundle, imagePath, workPath, tcpEstablished, lazyPages: false, cancellationToken);

    /// <summary>
    /// As <see cref="RestoreAsync(string, string, string, string, bool, CancellationToken)"/>, with the container's memory
    /// left to CRIU's lazy-pages daemon (<c>--lazy-pages</c>), which listens in <paramref name="workPath"/>.
    /// </summary>
    internal async Task<ContainerState> RestoreAsync(string id, string bundle, string imagePath, string workPath, bool tcpEstablished, bool lazyPages,
                                                     CancellationToken cancellationToken)
    {
        CheckId(id);
        List<string> arguments = ["restore", "--detach", "--image-path", imagePath, "--work-path", workPath, "--bundle", bundle];
        if (tcpEstablished)
            arguments.Add("--tcp-established");
        if (lazyPages)
            arguments.Add("--lazy-pages");
        await RunAsync([.. arguments, id],
                       $"restoring container '{id}' from {imagePath}", Path.Combine(workPath, "restore.log"),
                       cancellationToken).ConfigureAwait(false);
        return await GetStateAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new ContainerRuntimeException($"runc restored container '{id}' but then did not know it{InRoot}");
    }

    private async Task RunOnContainerAsync(IReadOnlyList<string> arguments, string id, string verb, CancellationToken cancellationToken)
    {
        CheckId(id);
        await RunAsync(arguments, $"{verb} container '{id}'", null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<string>> RunAsync(IReadOnlyList<string> arguments, string what, string? criuLog,
                                                       CancellationToken cancellationToken)
    {
        var outcome = await RunCommandAsync(arguments, cancellationToken).ConfigureAwait(false);
        return Succeeded(outcome, what, criuLog);
    }

    private async Task<ExternalCommand.Outcome> RunCommandAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = await ExternalCommand.RunAsync(ResolveBinary(), [.. GlobalArguments(), .. arguments], _options.CommandTimeout,
                                                 cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        _logger.RuncCommandEnded(arguments, outcome.Ending, elapsed);
        return outcome;
    }

    /// <summary>The whole command line of runc <paramref name="arguments"/> on this root, for a script to run.</summary>
    internal IReadOnlyList<string> CommandLine(params string[] arguments) => [ResolveBinary(), .. GlobalArguments(), .. arguments];

    private string ResolveBinary() =>
        ExternalCommand.Resolve(_options.Binary)
        ?? throw new ContainerRuntimeException($"the container runtime '{_options.Binary}' was not found"
                                               + (_options.Binary.Contains('/', StringComparison.Ordinal) ? "" : " on PATH"));

    private IReadOnlyList<string> Succeeded(ExternalCommand.Outcome outcome, string what, string? criuLog) =>
        outcome.Succeeded ? outcome.Output : throw Failure(outcome, what, criuLog);

    /// <summary>Why runc failed: the command, the container, runc's own words, the end of CRIU's log.</summary>
    internal ContainerRuntimeException Failure(ExternalCommand.Outcome outcome, string what, string? criuLog)
    {
        var said = outcome.Output.Where(line => line.Trim().Length > 0).TakeLast(ErrorLines).Select(RuncMessage).ToList();
        var tail = criuLog is null ? [] : TextTail.TryRead(criuLog, CriuLogLines);
        var message = $"{_options.Binary} failed {what}{InRoot}: it {outcome.Ending}"
                      + (said.Count > 0 ? ": " + string.Join(" / ", said) : "")
                      + (tail.Count > 0 ? $"; the end of CRIU's log {criuLog}:\n" + string.Join('\n', tail) : "");
        return new ContainerRuntimeException(message, outcome.ExitCode, tail);
    }

    private string InRoot => _options.Root is null ? "" : $" (runc root {_options.Root})";

    private IEnumerable<string> GlobalArguments()
    {
        if (_options.Root is { } root)
        {
            yield return "--root";
            yield return root;
        }
        var criu = _options.CriuPath ?? Environment.GetEnvironmentVariable("PHAUL_CRIU");
        if (!string.IsNullOrEmpty(criu))
        {
            yield return "--criu";
            yield return criu;
        }
    }

    // runc's text log lines: time="..." level=error msg="what failed"; the message alone reads better.
    private static string RuncMessage(string line)
    {
        var match = RuncLogMessage().Match(line);
        return match.Success ? Regex.Unescape(match.Groups[1].Value) : line.Trim();
    }

    private static ContainerState ParseState(string json, string id)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var state = document.RootElement;
            return new ContainerState(state.GetProperty("id").GetString() ?? id, state.GetProperty("pid").GetInt32(),
                                      ParseStatus(state.GetProperty("status").GetString()),
                                      state.GetProperty("bundle").GetString() ?? "");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ContainerRuntimeException($"runc's state of container '{id}' is not one: {e.Message}", e);
        }
    }

    private static ContainerStatus ParseStatus(string? status) => status switch
    {
        "created" => ContainerStatus.Created,
        "running" => ContainerStatus.Running,
        "paused" => ContainerStatus.Paused,
        "stopped" => ContainerStatus.Stopped,
        _ => ContainerStatus.Unknown,
    };

    /// <summary>Throws unless <paramref name="id"/> is a container id by runc's own rule, so a bad id is named before anything runs.</summary>
    internal static void CheckId(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (!ContainerId().IsMatch(id) || id is "." or "..")
            throw new ArgumentException($"'{id}' is not a container id: letters, digits, '_', '+', '-' and '.' only", nameof(id));
    }

    [GeneratedRegex(@"^[\w+\-.]+$")]
    private static partial Regex ContainerId();

    [GeneratedRegex("msg=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex RuncLogMessage();
}
