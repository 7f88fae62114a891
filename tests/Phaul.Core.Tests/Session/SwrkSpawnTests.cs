using System.Globalization;
using Phaul.Core.Tests.Fakes;
using Phaul.Rpc;
using static Phaul.Core.Tests.Fakes.Deadlines;

namespace Phaul.Core.Tests.Session;

/// <summary>Spawning swrk for real, with scripts standing in for CRIU.</summary>
public sealed class SwrkSpawnTests : IDisposable
{
    private readonly TestFds _fds = new();

    [Fact]
    public async Task MissingCriu_IsAClearErrorNamingThePathAndTheVariable()
    {
        using var criu = new Criu("/nonexistent/phaul/criu");

        var error = await Assert.ThrowsAsync<CriuException>(() => criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline());

        Assert.IsType<FileNotFoundException>(error.InnerException);
        Assert.Contains("/nonexistent/phaul/criu", error.Message, StringComparison.Ordinal);
        Assert.Contains("PHAUL_CRIU", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingCriu_FailsPrepare()
    {
        using var criu = new Criu("/nonexistent/phaul/criu");

        Assert.Throws<CriuException>(criu.Prepare);
    }

    [Fact]
    public async Task NotExecutableCriu_IsAClearErrorNamingThePath()
    {
        using var binary = new FakeCriuBinary("exit 0", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var criu = new Criu(binary.Path);

        var error = await Assert.ThrowsAsync<CriuException>(() => criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline());

        Assert.IsType<UnauthorizedAccessException>(error.InnerException);
        Assert.Contains(binary.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CriuCrashing_SaysWhichSignalAndWhatItPrinted()
    {
        // Failure handled: swrk dies of a signal before answering.
        using var binary = new FakeCriuBinary("echo 'about to crash' >&2\nkill -SEGV $$");
        using var criu = new Criu(binary.Path);

        var error = await Assert.ThrowsAsync<CriuException>(() => criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline());

        Assert.Contains("killed by signal 11 (SIGSEGV)", error.Message, StringComparison.Ordinal);
        Assert.Contains("about to crash", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CriuSendingGarbage_IsAProtocolError_AndIsKilled()
    {
        // Failure handled: the process on the other end of the socket does not speak CRIU's protocol.
        using var binary = new FakeCriuBinary("printf '\\377\\377\\377\\377\\017' >&3\nexec -a MARKER sleep 3600");
        using var criu = new Criu(binary.Path);

        await Assert.ThrowsAsync<CriuProtocolException>(() => criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline());

        Assert.Empty(ProcessesNamed(binary.Marker));
    }

    [Fact]
    public async Task Swrk_GetsItsSocketOn3_TheCallersFdsFrom4_StdinFromDevNull_AndNoIgnoredSignals()
    {
        using var binary = new FakeCriuBinary("grep SigIgn /proc/self/status >&2\nls -l /proc/$$/fd >&2\nexit 3");
        using var criu = new Criu(binary.Path);
        var opts = _fds.Opts();
        opts.Ps = new CriuPageServerInfo { Fd = _fds.SocketFd };
        opts.InheritFd.Add(new InheritFd { Key = "k", Fd = _fds.OtherSocketFd });

        var error = await Assert.ThrowsAsync<CriuException>(() => criu.DumpAsync(opts, null, Ct).WithDeadline());

        Assert.Contains("exited with code 3", error.Message, StringComparison.Ordinal);
        // .NET ignores SIGPIPE; CRIU must not inherit that. (glibc's posix_spawn leaves its two internal
        // signals, 32 and 33, ignored; glibc in the new program installs its own handlers for them.)
        var ignored = Convert.ToUInt64(error.Message.Split("SigIgn:\t")[1][..16], 16);
        Assert.Equal(0UL, ignored & ~(3UL << 31));
        Assert.Contains(" 0 -> /dev/null", error.Message, StringComparison.Ordinal);
        Assert.Contains(" 3 -> socket:[", error.Message, StringComparison.Ordinal);
        Assert.Contains($" 4 -> {FdLinks.Target(_fds.SocketFd)}", error.Message, StringComparison.Ordinal);
        Assert.Contains($" 5 -> {FdLinks.Target(_fds.OtherSocketFd)}", error.Message, StringComparison.Ordinal);
        // CRIU opens the images directory through /proc; it is not passed.
        Assert.DoesNotContain(_fds.Directory.FullName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Swrk_RunsInItsOwnProcessGroup_SoATerminalsCtrlCReachesOnlyTheCaller()
    {
        // Ctrl-C in a terminal signals the whole foreground process group: CRIU killed by it mid-dump
        // would bypass the caller's cancellation, which decides what becomes of the tree.
        using var binary = new FakeCriuBinary("echo \"pgid $(cut -d' ' -f5 /proc/$$/stat) pid $$\" >&2\nexit 3");
        using var criu = new Criu(binary.Path);

        var error = await Assert.ThrowsAsync<CriuException>(() => criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline());

        var words = error.Message.Split("pgid ")[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(words[2].Trim(), words[0].Trim());
        Assert.NotEqual(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), words[0].Trim());
    }

    [Fact]
    public async Task Cancelling_a_request_that_holds_no_tree_kills_a_real_swrk()
    {
        using var binary = new FakeCriuBinary("exec -a MARKER sleep 3600");
        using var criu = new Criu(binary.Path);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var dump = criu.StartPageServerAsync(_fds.Opts(), cancel.Token);
        await Poll.UntilAsync(() => ProcessesNamed(binary.Marker).FirstOrDefault(), FakeSwrkPeer.Deadline, "the fake swrk to start", Ct);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dump.WithDeadline());
        Assert.Empty(ProcessesNamed(binary.Marker));
    }

    internal static List<string> ProcessesNamed(string marker) =>
        [.. Directory.EnumerateDirectories("/proc").Where(dir => ReadCmdline(dir).StartsWith(marker, StringComparison.Ordinal))];

    private static string ReadCmdline(string processDirectory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(processDirectory, "cmdline"));
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    public void Dispose() => _fds.Dispose();
}
