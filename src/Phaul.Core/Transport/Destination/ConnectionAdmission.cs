using System.Net;

namespace Phaul.Transport;

/// <summary>
/// Which connections the destination takes. Connections that have not authenticated yet have slots of their own, in
/// all and per address, apart from the authenticated ones, so that a flood of them never starves a session. When the
/// unauthenticated slots of an address, or all of them, are taken, the oldest connection that has not even greeted is
/// dropped to make room: a genuine source greets the moment it connects, so idle connections cannot keep it out. Only
/// when every slot holds a connection past its greeting is the newcomer refused, and those are gone within the
/// handshake deadline.
/// </summary>
internal sealed class ConnectionAdmission(int maxPending, int maxPendingPerAddress, int maxAuthenticated)
{
    private readonly int _maxAuthenticated = maxAuthenticated;
    private readonly Lock _lock = new();
    private readonly LinkedList<Ticket> _pending = new();
    private readonly Dictionary<IPAddress, int> _pendingPerAddress = new();
    private int _authenticated;

    /// <summary>Takes a new connection from <paramref name="address"/>, dropping an idle one if need be.</summary>
    /// <param name="address">The peer's address.</param>
    /// <param name="refusal">Why the connection is refused; <see langword="null"/> when admitted.</param>
    /// <returns>The connection's slot; <see langword="null"/> when refused.</returns>
    public Ticket? Admit(IPAddress address, out string? refusal)
    {
        var evicted = new List<Ticket>(2);
        Ticket? admitted = null;
        lock (_lock)
        {
            refusal = MakeRoom(address, evicted);
            if (refusal is null)
            {
                admitted = new Ticket(this, address);
                admitted.Node = _pending.AddLast(admitted);
                _pendingPerAddress[address] = PendingFrom(address) + 1;
            }
        }
        // Outside the lock: cancelling runs the dropped connections' callbacks inline.
        foreach (var ticket in evicted)
            ticket.Evict();
        return admitted;
    }

    private string? MakeRoom(IPAddress address, List<Ticket> evicted)
    {
        if (PendingFrom(address) >= maxPendingPerAddress && !TryEvictOldestIdle(address, evicted))
            return $"{maxPendingPerAddress} connections from {address} are authenticating already";
        if (_pending.Count >= maxPending && !TryEvictOldestIdle(null, evicted))
            return $"{maxPending} connections are authenticating already";
        return null;
    }

    private bool TryEvictOldestIdle(IPAddress? from, List<Ticket> evicted)
    {
        var idle = _pending.FirstOrDefault(ticket => !ticket.Greeted && (from is null || ticket.Address.Equals(from)));
        if (idle is null)
            return false;
        RemovePending(idle);
        evicted.Add(idle);
        return true;
    }

    private int PendingFrom(IPAddress address) => _pendingPerAddress.GetValueOrDefault(address);

    private void RemovePending(Ticket ticket)
    {
        _pending.Remove(ticket.Node!);
        ticket.Node = null;
        var left = PendingFrom(ticket.Address) - 1;
        if (left > 0)
            _pendingPerAddress[ticket.Address] = left;
        else
            _pendingPerAddress.Remove(ticket.Address);
    }

    /// <summary>One connection's slot: unauthenticated, then authenticated, until disposed.</summary>
    internal sealed class Ticket(ConnectionAdmission admission, IPAddress address) : IDisposable
    {
        // Not disposed: another connection's admission may cancel it at any time, and it holds no timer.
        private readonly CancellationTokenSource _evicted = new();
        private bool _authenticated;

        public IPAddress Address => address;

        /// <summary>Cancelled when the connection was dropped to make room for another.</summary>
        public CancellationToken Evicted => _evicted.Token;

        internal LinkedListNode<Ticket>? Node { get; set; }

        internal bool Greeted { get; private set; }

        /// <summary>The peer sent a valid greeting: it is no longer dropped for a newcomer.</summary>
        public void MarkGreeted()
        {
            lock (admission._lock)
                Greeted = true;
        }

        /// <summary>Moves the connection to an authenticated slot.</summary>
        /// <returns>Whether one was free.</returns>
        public bool TryAuthenticate()
        {
            lock (admission._lock)
            {
                if (Node is null || admission._authenticated >= admission._maxAuthenticated)
                    return false;
                admission.RemovePending(this);
                admission._authenticated++;
                _authenticated = true;
                return true;
            }
        }

        internal void Evict() => _evicted.Cancel();

        public void Dispose()
        {
            lock (admission._lock)
            {
                if (Node is not null)
                    admission.RemovePending(this);
                else if (_authenticated)
                    admission._authenticated--;
                _authenticated = false;
            }
        }
    }
}
