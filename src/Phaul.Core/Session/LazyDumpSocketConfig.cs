using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// Makes <c>Ps.Fd</c> work for a lazy (post-copy) DUMP. CRIU's RPC service reads <c>ps.fd</c> only
/// when <c>lazy_pages</c> is off; with it on, it keeps only <c>ps.port</c> and its lazy page server
/// listens on that TCP port of every address instead of using the connected socket. The command
/// line's <c>--ps-socket</c> has no such limit, and an RPC config file (<c>config_file</c>) may hold
/// any command-line option, so the socket's number in CRIU goes into one, written to an anonymous
/// memory file that CRIU opens through /proc (no file on disk to clean up).
/// </summary>
internal sealed class LazyDumpSocketConfig : IDisposable
{
    private readonly SafeFileHandle _file;

    private LazyDumpSocketConfig(SafeFileHandle file) => _file = file;

    /// <summary>Whether <paramref name="request"/> is a lazy DUMP naming a page-server socket.</summary>
    public static bool IsNeededFor(CriuReq request) =>
        request.Type == CriuReqType.Dump && request.Opts is { LazyPages: true, Ps.HasFd: true };

    /// <summary>
    /// Points <paramref name="rewritten"/>'s <c>config_file</c> at a file holding <c>ps-socket N</c> (N: the
    /// socket's number in CRIU, already rewritten) after the lines of the caller's own config file, if any.
    /// </summary>
    /// <returns>The file, to keep open until CRIU has answered; <see langword="null"/> when the request needs none.</returns>
    /// <exception cref="IOException">The caller's config file cannot be read, or the memory file cannot be made.</exception>
    public static LazyDumpSocketConfig? Apply(CriuReq rewritten)
    {
        if (!IsNeededFor(rewritten))
            return null;
        var opts = rewritten.Opts;
        var text = new StringBuilder();
        if (opts.HasConfigFile)
            text.Append(File.ReadAllText(opts.ConfigFile)).Append('\n');
        text.Append(CultureInfo.InvariantCulture, $"ps-socket {opts.Ps.Fd}\n");

        var fd = Interop.MemfdCreate("phaul-lazy-dump-config", Interop.MFD_CLOEXEC);
        if (fd < 0)
            throw NativeCallException.FromLastError("memfd_create", "lazy dump config file");
        var file = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            RandomAccess.Write(file, Encoding.UTF8.GetBytes(text.ToString()), 0);
            opts.ConfigFile = string.Create(CultureInfo.InvariantCulture, $"/proc/{Environment.ProcessId}/fd/{fd}");
            return new LazyDumpSocketConfig(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose() => _file.Dispose();
}
