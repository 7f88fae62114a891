using System.Collections.Concurrent;
using System.Globalization;

namespace Phaul.Transport;

/// <summary>
/// What the destination decided in each session's hand-over, so that a source that lost the answer to its commit can
/// ask (a query connection) instead of keeping its copy stopped. A decision is final once made: a query that finds a
/// session still holding its copy decides "not resumed" for it, and a commit that comes later is refused. The commit is
/// written to the session directory (<see cref="FileName"/>) before the tree may run, and then whether CRIU resumed it,
/// so that a restarted service still answers.
/// </summary>
internal sealed class HandOverLedger
{
    /// <summary>The hand-over record in a session directory.</summary>
    public const string FileName = "handover";

    private readonly ConcurrentDictionary<string, Entry> _sessions = new(StringComparer.Ordinal);
    private readonly string _wdir;

    public HandOverLedger(string wdir) => _wdir = wdir;

    // Decided entries beyond this many are forgotten: a committed one is still answered from its record, and an
    // uncommitted one needs none (no record means its copy never ran).
    private const int RememberedSessions = 1024;

    /// <summary>The session holds its restored copy and waits for the commit.</summary>
    public void Hold(string sessionId, string directory)
    {
        if (_sessions.Count >= RememberedSessions)
        {
            foreach (var (id, decided) in _sessions.Where(session => session.Value.Outcome.Task.IsCompleted).ToList())
                _sessions.TryRemove(new KeyValuePair<string, Entry>(id, decided));
        }
        _sessions[sessionId] = new Entry(directory);
    }

    /// <summary>Records the commit before the copy may run; false when a query decided against it first.</summary>
    public bool TryCommit(string sessionId, int pid)
    {
        var entry = _sessions[sessionId];
        lock (entry)
        {
            if (entry.Outcome.Task.IsCompleted)
                return false;
            Record(entry, string.Create(CultureInfo.InvariantCulture, $"{sessionId} committed {pid} {TreeDeathGuard.StartTimeOf(pid)}"));
            entry.Committed = true;
            return true;
        }
    }

    /// <summary>The copy did not run: no commit, or its restore failed (CRIU killed it).</summary>
    public void Abandon(string sessionId) => Decide(sessionId, resumed: false);

    /// <summary>CRIU resumed the committed copy.</summary>
    public void Resumed(string sessionId) => Decide(sessionId, resumed: true);

    /// <summary>
    /// Whether the session's copy was let run, deciding "no" for a session still holding it, and waiting for CRIU's word
    /// on one just committed. A session this service does not remember is looked up in the records a previous run left;
    /// none means its copy never ran.
    /// </summary>
    public async Task<bool> ResolveAsync(string sessionId, CancellationToken cancellationToken)
    {
        if (!_sessions.TryGetValue(sessionId, out var entry))
            return FromRecords(sessionId);
        lock (entry)
        {
            if (!entry.Committed)
                entry.Outcome.TrySetResult(false);
        }
        return await entry.Outcome.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Decide(string sessionId, bool resumed)
    {
        if (!_sessions.TryGetValue(sessionId, out var entry))
            return;
        lock (entry)
        {
            if (entry.Committed)
                Record(entry, resumed ? "resumed" : "failed");
            entry.Outcome.TrySetResult(resumed);
        }
    }

    // Durable before the copy may run (fsync): a restarted service answers from it.
    private static void Record(Entry entry, string line)
    {
        using var file = new FileStream(Path.Combine(entry.Directory, FileName), FileMode.Append, FileAccess.Write);
        file.Write(System.Text.Encoding.UTF8.GetBytes(line + "\n"));
        file.Flush(flushToDisk: true);
    }

    // A committed copy whose resume was not recorded ran only if it still runs as the process that was committed.
    private bool FromRecords(string sessionId)
    {
        foreach (var directory in Directory.EnumerateDirectories(_wdir))
        {
            var record = Path.Combine(directory, FileName);
            if (!File.Exists(record))
                continue;
            var lines = File.ReadAllLines(record);
            if (lines.FirstOrDefault()?.Split(' ') is not [var id, "committed", var pid, var startTime] || id != sessionId)
                continue;
            return lines.Contains("resumed")
                   || (!lines.Contains("failed") && TreeDeathGuard.StartTimeOf(int.Parse(pid, CultureInfo.InvariantCulture)) == startTime);
        }
        return false;
    }

    private sealed class Entry(string directory)
    {
        public string Directory { get; } = directory;

        public bool Committed { get; set; }

        /// <summary>Whether the copy was let run, once decided.</summary>
        public TaskCompletionSource<bool> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
