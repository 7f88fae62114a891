namespace Phaul.Transport;

/// <summary>How one migration session on a destination ended.</summary>
public sealed class MigrationSessionEndedEventArgs : EventArgs
{
    internal MigrationSessionEndedEventArgs(string sessionId, string remoteEndPoint, string directory, int? restoredPid, Exception? error)
    {
        SessionId = sessionId;
        RemoteEndPoint = remoteEndPoint;
        Directory = directory;
        RestoredPid = restoredPid;
        Error = error;
    }

    /// <summary>The session's id in hexadecimal, as both ends log it.</summary>
    public string SessionId { get; }

    /// <summary>The source's address.</summary>
    public string RemoteEndPoint { get; }

    /// <summary>The session's directory of images and logs; "" if it was never created.</summary>
    public string Directory { get; }

    /// <summary>The restored tree's root pid, or <see langword="null"/> when nothing was restored.</summary>
    public int? RestoredPid { get; }

    /// <summary>Why the session failed, or <see langword="null"/> when it ended normally.</summary>
    public Exception? Error { get; }
}
