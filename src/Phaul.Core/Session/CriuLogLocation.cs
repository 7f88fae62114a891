using Phaul.Rpc;

namespace Phaul;

/// <summary>Where CRIU writes its log for a request: <c>log_file</c> in the work directory, else in the images directory.</summary>
internal sealed record CriuLogLocation(int DirectoryFd, string Name)
{
    /// <summary>How many lines of the log a <see cref="CriuException"/> carries.</summary>
    public const int TailLines = 20;

    /// <summary>The log file <paramref name="opts"/> sets, or <see langword="null"/> when none is set.</summary>
    public static CriuLogLocation? Of(CriuOpts? opts) =>
        opts is { HasLogFile: true, LogFile.Length: > 0 }
            ? new CriuLogLocation(opts.HasWorkDirFd ? opts.WorkDirFd : opts.ImagesDirFd, opts.LogFile)
            : null;

    /// <summary>The last lines of the log, read through our own fd of the directory; empty when unreadable.</summary>
    public IReadOnlyList<string> Tail() =>
        TextTail.TryRead($"/proc/self/fd/{DirectoryFd}/{Name}", TailLines);
}
