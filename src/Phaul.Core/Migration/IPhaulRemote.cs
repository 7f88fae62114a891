namespace Phaul;

/// <summary>
/// The destination as the migration loop sees it. The caller supplies the RPC that carries
/// these calls: a <c>PhaulServer</c> itself in one process, a network proxy across hosts.
/// </summary>
public interface IPhaulRemote
{
    /// <summary>
    /// Starts an iteration on the destination: a page server that receives this iteration's
    /// pages over the memory socket into the next iteration directory.
    /// </summary>
    /// <param name="cancellationToken">Abandons the call.</param>
#pragma warning disable RS0027 // The embedders' contract fixes this overload's optional token; the longer one came later.
    Task StartIterAsync(CancellationToken cancellationToken = default);
#pragma warning restore RS0027

    /// <summary>
    /// Starts an iteration like <see cref="StartIterAsync(CancellationToken)"/>, told about how many bytes of pages it
    /// writes, so that a destination that checks its disk refuses before the source freezes anything: a page server
    /// that runs out of space mid-dump fails the migration only after the tree was frozen and part of its memory sent.
    /// The loop calls this one; by default it ignores the figure.
    /// </summary>
    /// <param name="expectedBytes">About how many bytes of pages the iteration writes (the tree's anonymous memory, an
    /// upper bound for a pre-dump after the first); 0 when unknown.</param>
    /// <param name="cancellationToken">Abandons the call.</param>
    /// <exception cref="InsufficientSpaceException">The destination has too little free space; nothing was started.</exception>
    Task StartIterAsync(long expectedBytes, CancellationToken cancellationToken) => StartIterAsync(cancellationToken);

    /// <summary>
    /// Ends the iteration started last: waits for its page server to finish and fails when it failed.
    /// </summary>
    /// <param name="cancellationToken">Abandons the wait.</param>
    Task StopIterAsync(CancellationToken cancellationToken = default);
}
