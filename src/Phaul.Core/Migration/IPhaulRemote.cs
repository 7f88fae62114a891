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
    Task StartIterAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends the iteration started last: waits for its page server to finish and fails when it failed.
    /// </summary>
    /// <param name="cancellationToken">Abandons the wait.</param>
    Task StopIterAsync(CancellationToken cancellationToken = default);
}
