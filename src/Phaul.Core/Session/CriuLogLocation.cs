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

    // Read through our own fd of the directory: the caller's path to it may have changed since.
    private string ThroughFd => $"/proc/self/fd/{DirectoryFd}/{Name}";

    /// <summary>The last lines of the log; empty when unreadable.</summary>
    public IReadOnlyList<string> Tail() => TextTail.TryRead(ThroughFd, TailLines);

    /// <summary>CRIU's first real error in the whole log (it may lie far before the tail), with its fix; null when none.</summary>
    public CriuFailureCause? Diagnose() => CriuLogDiagnosis.DiagnoseFile(ThroughFd);

    /// <summary>The log's path for a person to open, or <see langword="null"/> when the directory's fd no longer resolves.</summary>
    public string? Path()
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{DirectoryFd}").LinkTarget is { } directory
                ? System.IO.Path.Combine(directory, Name)
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
