namespace Phaul;

/// <summary>Starts swrk sessions; the seam that lets tests put a fake CRIU on the other end of the socket.</summary>
internal interface ISwrkLauncher
{
    /// <summary>The CRIU binary sessions run, for messages.</summary>
    string Description { get; }

    /// <summary>The absolute path of the CRIU binary sessions run.</summary>
    string ResolveBinary();

    /// <summary>Starts a session whose CRIU has <paramref name="callerFds"/> open (see <see cref="SwrkSession"/>).</summary>
    SwrkSession Launch(IReadOnlyList<int> callerFds);
}
