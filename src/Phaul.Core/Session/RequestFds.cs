using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// The fds a request names that CRIU uses as its own fd numbers (<c>ps.fd</c>, <c>inherit_fd[].fd</c>),
/// so they must be open in <c>criu swrk</c> and their numbers rewritten to CRIU's. Directory fds
/// (<c>images_dir_fd</c>, <c>work_dir_fd</c>, <c>status_fd</c>) are not among them: CRIU opens those
/// through /proc of the process on the other end of its socket.
/// </summary>
internal static class RequestFds
{
    /// <summary>The caller fds <paramref name="opts"/> names, each once, in order of appearance.</summary>
    /// <exception cref="ArgumentException">An fd is negative or not open in this process.</exception>
    public static IReadOnlyList<int> Of(CriuOpts? opts)
    {
        if (opts is null)
            return [];
        var named = new List<(int Fd, string Field)>();
        if (opts.Ps is { HasFd: true } ps)
            named.Add((ps.Fd, "opts.Ps.Fd"));
        for (var i = 0; i < opts.InheritFd.Count; i++)
            named.Add((opts.InheritFd[i].Fd, $"opts.InheritFd[{i}].Fd (key \"{opts.InheritFd[i].Key}\")"));
        foreach (var (fd, field) in named)
        {
            if (fd < 0 || Interop.Fcntl(fd, Interop.F_GETFD, 0) < 0)
                throw new ArgumentException($"{field} is {fd}, which is not an open file descriptor of this process.", nameof(opts));
        }
        return [.. named.Select(entry => entry.Fd).Distinct()];
    }

    /// <summary>
    /// Clears O_NONBLOCK on <paramref name="fds"/>: CRIU reads and writes them expecting to block, and a
    /// .NET socket that was ever used asynchronously is non-blocking underneath (the flag belongs to the
    /// open socket, so CRIU's copy shares it). Like Go's <c>os.File.Fd()</c>, this is not undone: CRIU or
    /// a page server it forked may still be using the fd when the request returns.
    /// </summary>
    /// <exception cref="NativeCallException">fcntl failed.</exception>
    public static void MakeBlocking(IReadOnlyList<int> fds)
    {
        foreach (var fd in fds)
        {
            var flags = Interop.Fcntl(fd, Interop.F_GETFL, 0);
            if (flags >= 0 && (flags & Interop.O_NONBLOCK) == 0)
                continue;
            if (flags < 0 || Interop.Fcntl(fd, Interop.F_SETFL, flags & ~Interop.O_NONBLOCK) < 0)
                throw NativeCallException.FromLastError("fcntl(F_SETFL)", $"fd {fd}");
        }
    }

    /// <summary>A copy of <paramref name="request"/> with every caller fd replaced by its number in CRIU.</summary>
    public static CriuReq Rewrite(CriuReq request, IReadOnlyDictionary<int, int> criuFdOf)
    {
        var copy = request.Clone();
        if (copy.Opts is not { } opts)
            return copy;
        if (opts.Ps is { HasFd: true } ps)
            ps.Fd = criuFdOf[ps.Fd];
        foreach (var inherit in opts.InheritFd)
            inherit.Fd = criuFdOf[inherit.Fd];
        return copy;
    }
}
