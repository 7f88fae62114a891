using System.Diagnostics;

namespace Phaul.Cli.Tests.Support;

/// <summary>
/// The built CLI (phaul.dll next to the tests) running as its own process, optionally inside a
/// named network namespace, with its stdout and stderr collected line by line.
/// </summary>
internal sealed class PhaulProcess : IAsyncDisposable
{
    private static readonly string PhaulDll = Path.Combine(AppContext.BaseDirectory, "phaul.dll");

    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly Lock _lines = new();

    private PhaulProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stdout => Join(_stdout);

    public string Stderr => Join(_stderr);

    /// <summary>Runs <c>dotnet phaul.dll ARGS</c>, under <c>nsenter --net=/run/netns/NAME</c> when a namespace is named (nsenter execs, so the pid is phaul's).</summary>
    public static PhaulProcess Start(string? networkNamespace, params string[] args) =>
        Start(networkNamespace is null ? [] : ["nsenter", $"--net=/run/netns/{networkNamespace}"], args);

    /// <summary>
    /// Runs phaul in <paramref name="networkNamespace"/> and in a mount namespace of its own, in which each
    /// <c>Source</c> of <paramref name="binds"/> is bind-mounted over its <c>Target</c>: e.g. an empty directory over
    /// a path, so that this "host" has its own copy of it (unshare, sh and nsenter each exec the next, so the pid is phaul's).
    /// </summary>
    public static PhaulProcess StartWithMounts(string networkNamespace, IReadOnlyList<(string Source, string Target)> binds, params string[] args) =>
        Start(["unshare", "--mount", "--propagation", "private", "sh", "-c",
               "while [ \"$1\" != -- ]; do mount --bind \"$1\" \"$2\" || exit 1; shift 2; done; shift; exec \"$@\"", "sh",
               .. binds.SelectMany(bind => new[] { bind.Source, bind.Target }), "--", "nsenter", $"--net=/run/netns/{networkNamespace}"], args);

    private static PhaulProcess Start(IReadOnlyList<string> launcher, string[] args)
    {
        var start = new ProcessStartInfo(launcher.Count == 0 ? Dotnet() : launcher[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (launcher.Count > 0)
        {
            foreach (var argument in launcher.Skip(1))
                start.ArgumentList.Add(argument);
            start.ArgumentList.Add(Dotnet());
        }
        start.ArgumentList.Add(PhaulDll);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);

        var process = new Process { StartInfo = start };
        var phaul = new PhaulProcess(process);
        process.OutputDataReceived += (_, e) => phaul.Add(phaul._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => phaul.Add(phaul._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return phaul;
    }

    public Task<string> WaitForStdoutAsync(Func<string, bool> match, TimeSpan timeout, string what) => WaitForLineAsync(_stdout, match, timeout, what);

    public Task<string> WaitForStderrAsync(Func<string, bool> match, TimeSpan timeout, string what) => WaitForLineAsync(_stderr, match, timeout, what);

    /// <summary>Waits for the exit and for the last output lines; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            // The parameterless overload also waits for the redirected streams' EOF: no line is lost.
            await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"phaul did not exit within {timeout.TotalSeconds} s.{Environment.NewLine}stdout:{Environment.NewLine}{Stdout}" +
                                       $"{Environment.NewLine}stderr:{Environment.NewLine}{Stderr}");
        }
        return _process.ExitCode;
    }

    /// <summary>Sends a signal, as <c>kill -SIGNAL PID</c> would.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Whether the process ignores SIGINT because it inherited that (e.g. from a shell's background job).</summary>
    public bool IgnoresInterrupt()
    {
        var mask = File.ReadLines($"/proc/{Id}/status").Single(line => line.StartsWith("SigIgn:", StringComparison.Ordinal));
        return (Convert.ToUInt64(mask["SigIgn:".Length..].Trim(), 16) & (1UL << (2 - 1))) != 0;
    }

    /// <summary>SIGKILL, at once.</summary>
    public void Kill() => _process.Kill();

    /// <summary>A report of everything it wrote, for assertion messages and the test output.</summary>
    public string Transcript => $"stdout:{Environment.NewLine}{Stdout}{Environment.NewLine}stderr:{Environment.NewLine}{Stderr}";

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        _process.Dispose();
    }

    private void Add(List<string> lines, string? line)
    {
        if (line is null)
            return;
        lock (_lines)
            lines.Add(line);
    }

    private string Join(List<string> lines)
    {
        lock (_lines)
            return string.Join(Environment.NewLine, lines);
    }

    private Task<string> WaitForLineAsync(List<string> lines, Func<string, bool> match, TimeSpan timeout, string what) =>
        Poll.UntilAsync(() =>
        {
            lock (_lines)
                return lines.FirstOrDefault(match) ?? (_process.HasExited ? throw new InvalidOperationException($"phaul exited ({_process.ExitCode}) before {what}.{Environment.NewLine}{Transcript}") : null);
        }, timeout, what, TestContext.Current.CancellationToken);

    // The dotnet that runs these tests, else the one on PATH.
    private static string Dotnet() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
