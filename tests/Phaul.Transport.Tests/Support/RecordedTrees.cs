namespace Phaul.Transport.Tests.Support;

/// <summary>Records the signals Phaul would send to the source's tree instead of sending them (its pids are made up).</summary>
internal sealed class RecordedTrees : IProcessTrees
{
    private readonly List<string> _signals = [];

    public IReadOnlyList<string> Signals
    {
        get
        {
            lock (_signals)
                return [.. _signals];
        }
    }

    public int Kill(int root) => Record($"kill {root}");

    public int Continue(int root) => Record($"continue {root}");

    public int Stop(int root) => Record($"stop {root}");

    public IDisposable GuardAgainstOurDeath(int root, bool onceUntraced = false) => new Guard();

    private sealed class Guard : IDisposable
    {
        public void Dispose()
        {
        }
    }

    private int Record(string signal)
    {
        lock (_signals)
            _signals.Add(signal);
        return 1;
    }
}
