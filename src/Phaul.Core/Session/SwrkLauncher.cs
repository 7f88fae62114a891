using Microsoft.Extensions.Logging;

namespace Phaul;

/// <summary>Starts real <c>criu swrk</c> processes over a SOCK_SEQPACKET socketpair.</summary>
internal sealed class SwrkLauncher(string? configuredPath, ILogger logger) : ISwrkLauncher
{
    private string? _resolvedPath;

    public string Description => _resolvedPath ?? configuredPath ?? $"criu (${CriuBinary.EnvironmentVariable} or PATH)";

    public string ResolveBinary() => _resolvedPath ??= CriuBinary.Resolve(configuredPath);

    public SwrkSession Launch(IReadOnlyList<int> callerFds)
    {
        var path = ResolveBinary();
        var (local, remote) = SocketPair.CreateSeqPacket();
        try
        {
            // The child got its own copy of the server end; ours must close so CRIU's death reads as EOF.
            using (remote)
            {
                var process = SwrkProcess.Start(path, remote, callerFds);
                CriuLog.SwrkStarted(logger, process.Pid, path, callerFds.Count);
                return new SwrkSession(new SwrkChannel(local), process, callerFds, logger);
            }
        }
        catch
        {
            local.Dispose();
            throw;
        }
    }
}
