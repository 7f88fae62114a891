namespace Phaul.Transport;

/// <summary>One session's entries in the <see cref="HandOverLedger"/>: its id and directory bound once.</summary>
internal sealed class SessionHandOver(HandOverLedger ledger, string sessionId, string directory)
{
    public void Hold() => ledger.Hold(sessionId, directory);

    /// <summary>False when a query from the source decided against the hand-over before its commit came.</summary>
    public bool TryCommit(int pid) => ledger.TryCommit(sessionId, pid);

    public void Abandon() => ledger.Abandon(sessionId);

    public void Resumed() => ledger.Resumed(sessionId);
}
