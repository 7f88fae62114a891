using System.Collections.Concurrent;

namespace Phaul.Transport;

/// <summary>
/// Control sessions waiting for their memory connection. A memory connection can join a session
/// only once, and only after it authenticated with that session's id in its proof.
/// </summary>
internal sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<TransportConnection>> _waiting = new(StringComparer.Ordinal);

    /// <summary>Registers a session; the task completes when its memory connection joins.</summary>
    public Task<TransportConnection> Register(string sessionId)
    {
        var joined = new TaskCompletionSource<TransportConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_waiting.TryAdd(sessionId, joined))
            throw new InvalidOperationException($"Session {sessionId} is registered already.");
        return joined.Task;
    }

    /// <summary>Takes a waiting session out of the registry; <see langword="null"/> when none waits under that id.</summary>
    public TaskCompletionSource<TransportConnection>? TryClaim(string sessionId) =>
        _waiting.TryRemove(sessionId, out var joined) ? joined : null;

    /// <summary>Stops waiting for a session's memory connection.</summary>
    public void Remove(string sessionId) => _waiting.TryRemove(sessionId, out _);
}
