namespace Phaul;

/// <summary>
/// A destination that refuses an iteration it has no disk space for, before the source freezes anything: the migration
/// loop tells it how much the iteration will write (the tree's anonymous memory, an upper bound for a pre-dump after the
/// first). A page server that runs out of space mid-dump fails the migration anyway, but only after the tree was frozen
/// and part of its memory sent.
/// </summary>
public interface IPhaulSpaceCheckingRemote : IPhaulRemote
{
    /// <summary>Starts an iteration like <see cref="IPhaulRemote.StartIterAsync"/>, unless the destination lacks the space.</summary>
    /// <param name="expectedBytes">About how many bytes of pages the iteration writes on the destination.</param>
    /// <param name="cancellationToken">Abandons the call.</param>
    /// <exception cref="InsufficientSpaceException">The destination has too little free space; nothing was started.</exception>
    Task StartIterAsync(long expectedBytes, CancellationToken cancellationToken);
}
