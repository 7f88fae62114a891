using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Phaul.Cli.Migration;

/// <summary>
/// Turns a migration's log events into short progress lines (phase, iteration, pages, bytes) with
/// the time since the start. It reads the events the source logs, by their ids: Phaul.Core's
/// migration loop and its hooks (2000s), its post-copy stage (4100s; the destination's post-copy events too, where
/// they reach this logger), its transport's source side (3100s), and Phaul.FileSystem's copies (5000s);
/// other events are ignored.
/// </summary>
internal sealed class MigrationProgress : ILoggerProvider, ILogger
{
    /// <summary>The lowest level of the events it reads (iteration starts are Debug).</summary>
    public const LogLevel LowestLevel = LogLevel.Debug;

    private readonly TextWriter _output;
    private readonly Lock _writing = new();
    private readonly long _started = Stopwatch.GetTimestamp();

    public MigrationProgress(TextWriter output) => _output = output;

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LowestLevel;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
                            Func<TState, Exception?, string> formatter)
    {
        if (state is not IReadOnlyList<KeyValuePair<string, object?>> fields || Describe(eventId.Id, fields) is not { } line)
            return;
        var elapsed = Stopwatch.GetElapsedTime(_started);
        lock (_writing)
            _output.WriteLine($"[{Units.Duration(elapsed),8}] {line}");
    }

    private static string StrategyName(object? strategy) =>
        strategy is MigrationStrategy known ? ReportText.Strategy(known) : "?";

    /// <summary>The progress line for one event, or <see langword="null"/> when it is not a progress event.</summary>
    internal static string? Describe(int eventId, IReadOnlyList<KeyValuePair<string, object?>> fields)
    {
        object? Field(string name) => fields.FirstOrDefault(f => f.Key == name).Value;
        return eventId switch
        {
            3100 => $"connecting to {Field("EndPoint")}",
            3101 => $"connected to {Field("EndPoint")}, session {Field("SessionId")}, {Field("Protection")}",
            2000 => $"strategy: {StrategyName(Field("Strategy"))}",
            2001 => $"strategy: {Field("Note")}",
            2010 => $"iteration {Field("Iteration")}: pre-dump, the tree keeps running",
            2011 => $"iteration {Field("Iteration")}: pre-dump sent {Units.Pages(Field("PagesWritten") as ulong? ?? 0)}, " +
                    $"{Field("PagesSkippedParent") ?? 0} pages unchanged, tree frozen {FormatDuration(Field("FrozenTime"))}",
            2012 => $"iteration {Field("Iteration")}: pre-copy stops: {(Field("StopReason") is PreCopyStopReason reason ? ReportText.StopReason(reason) : "?")}",
            2020 => $"iteration {Field("Iteration")}: final dump, the tree stays frozen until it runs on the destination",
            3104 => $"sent {Field("Files")} image files ({(Field("Bytes") is long bytes ? Units.Bytes(bytes) : "?")}); the destination restores",
            3105 => $"the destination restored the tree as pid {Field("Pid")}",
            3106 => "the final stage failed: CRIU resumes the tree on the source",
            4110 => "final dump (lazy): the tree stays frozen until it resumes on the destination; its memory stays here until asked for",
            4100 => $"the destination's lazy-pages daemon listens (started in {FormatDuration(Field("StartTime"))}); restore requested",
            4101 => $"the tree resumed on the destination as pid {Field("RestoredPid")}; its memory follows " +
                    "(until the last page arrives, a broken connection loses the process)",
            4102 => $"every page arrived: {PageCount(Field("PagesTransferred"))}, {PageCount(Field("PagesOnDemand"))} of them on demand",
            4104 => $"PROCESS LOST: the destination killed restored pid {Field("RestoredPid")}: {Field("Reason")}",
            4111 => $"the tree runs on the source again ({Field("Cause")})",
            4112 => $"the source's copy was killed: {Field("Why")}",
            4114 => "the source's lazy dump failed with pages still owed: the destination's copy cannot get them",
            5010 => $"files: {FileSystemPhaseName(Field("Phase"))} copy of {Field("Source")}: {Field("Files")} files sent, {Field("Deleted")} deleted, " +
                    $"{(Field("BytesSent") is long sent ? Units.Bytes(sent) : "?")} sent",
            5011 => $"files: the destination cannot keep ACLs or extended attributes of {Field("Source")}; copying without them",
            2041 => $"{Field("Hook")}: failed during the freeze: the dump fails and CRIU resumes the tree on the source",
            _ => null,
        };
    }

    private static string FileSystemPhaseName(object? phase) => phase switch
    {
        MigrationHookPhase.BeforeIterations => "bulk",
        MigrationHookPhase.AfterPreDump => "incremental",
        MigrationHookPhase.WhileFrozen => "freeze",
        _ => "?",
    };

    private static string FormatDuration(object? value) => value is TimeSpan duration ? Units.Duration(duration) : "?";

    // CRIU logs the page counts only at its debug level.
    private static string PageCount(object? value) => value is ulong pages ? Units.Count((long)pages) + " pages" : "? pages";

    public void Dispose()
    {
    }
}
