using System.Diagnostics;
using Moq;
using Phaul.Rpc;

namespace Phaul.Core.Tests.Migration;

/// <summary>
/// A mocked CRIU whose PAGE_SERVER_CHLD starts a real short-lived process standing in for the page
/// server: it writes what the test wants into the page server's log, then exits, so the server's
/// pidfd wait and log check run for real.
/// </summary>
internal sealed class FakePageServers : IDisposable
{
    public const string SessionOver = "(00.200000) page-xfer: Session over";
    public const string NotFlushed = "(00.100000) Error (criu/page-xfer.c:1290): page-xfer: The data were not flushed";
    public const string Rlimit = "(00.000100) Error (criu/util.c:1534): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted";

    private readonly List<Process> _processes = [];

    public FakePageServers(string wdir)
    {
        Wdir = wdir;
        Criu.Setup(c => c.StartPageServerChldAsync(It.IsAny<CriuOpts>(), It.IsAny<CancellationToken>()))
            .Returns((CriuOpts opts, CancellationToken _) =>
            {
                Options.Add(opts.Clone());
                var log = Path.Combine(Wdir, $"{Options.Count - 1}", opts.LogFile);
                Assert.True(Directory.Exists(Path.GetDirectoryName(log)), "page server started before its directory exists");
                var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", Script.Replace("LOG", $"'{log}'", StringComparison.Ordinal)])
                {
                    UseShellExecute = false,
                })!;
                _processes.Add(process);
                if (ExitBeforeReturning)
                    process.WaitForExit();
                return Task.FromResult(new CriuPageServerInfo { Pid = process.Id });
            });
    }

    public string Wdir { get; }

    public Mock<ICriu> Criu { get; } = new();

    public List<CriuOpts> Options { get; } = [];

    public IReadOnlyList<Process> Processes => _processes;

    /// <summary>The fake page server's shell script; LOG stands for its log file.</summary>
    public string Script { get; set; } = $"sleep 0.2; echo '{SessionOver}' >> LOG";

    /// <summary>Let the process exit (and be reaped) before CRIU "answers", as if it were very quick.</summary>
    public bool ExitBeforeReturning { get; set; }

    /// <summary>
    /// Whether the kernel considers the process gone (exited, zombie or reaped). Process.HasExited may lag:
    /// .NET reaps its children on its own thread, after the pidfd already reported the exit.
    /// </summary>
    public static bool HasExited(Process process)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{process.Id}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    public static string Writes(params string[] lines) =>
        "sleep 0.1; " + string.Join("; ", lines.Select(line => $"echo \"{line}\" >> LOG"));

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
                process.Kill();
            process.Dispose();
        }
    }
}
