namespace Phaul;

/// <summary>
/// What a migration works on: the process tree, the socket CRIU moves memory pages over,
/// and the directory that holds the images of each iteration.
/// </summary>
public sealed class PhaulConfig
{
    /// <summary>Root of the process tree to migrate (source side); unused on the destination.</summary>
    public int Pid { get; init; }

    /// <summary>
    /// A connected socket, owned by the caller, that CRIU sends memory pages over (source) or
    /// receives them from (destination, the page server).
    /// </summary>
    public int Memfd { get; init; }

    /// <summary>
    /// An existing directory for images and logs. Iteration <c>N</c> writes into <c>Wdir/N</c>.
    /// </summary>
    public string Wdir { get; init; } = "";
}
