using System.Diagnostics;
using System.Globalization;

namespace Phaul.IntegrationTests.Migration;

/// <summary>
/// A shell script run as the init of its own PID namespace, in its own session (<c>unshare --pid --fork setsid bash -c</c>),
/// with stdio on /dev/null, in a fresh directory it may write. Disposing kills the namespace's init, which ends every
/// process in the namespace, and removes the directory.
/// </summary>
internal sealed class NamespacedShell : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _unshare;

    private NamespacedShell(Process unshare, string directory)
    {
        _unshare = unshare;
        Directory = directory;
    }

    /// <summary>The script's directory (its working directory).</summary>
    public string Directory { get; }

    /// <summary>The namespace's init (the shell) as this host sees it.</summary>
    public int Init { get; private set; }

    public static async Task<NamespacedShell> StartAsync(string script, CancellationToken cancellationToken)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("phaul-it-shell-").FullName;
        var start = new ProcessStartInfo("/bin/sh", ["-c", "exec unshare --pid --fork setsid bash -c \"$1\" </dev/null >/dev/null 2>&1", "sh", script])
        {
            WorkingDirectory = directory,
        };
        var shell = new NamespacedShell(Process.Start(start) ?? throw new InvalidOperationException("could not start unshare"), directory);
        try
        {
            shell.Init = await Poll.UntilAsync(() => FirstChild(shell._unshare.Id), StartTimeout, "unshare to fork the shell", cancellationToken);
            return shell;
        }
        catch
        {
            shell.Dispose();
            throw;
        }
    }

    /// <summary>The shell's first child (pid 2 of the namespace), once it has one.</summary>
    public Task<int> FirstChildAsync(CancellationToken cancellationToken) =>
        Poll.UntilAsync(() => FirstChild(Init), StartTimeout, $"shell {Init} to start its child", cancellationToken);

    /// <summary>The number the script last wrote to <c>counter</c> in its directory, or null before the first.</summary>
    public long? Counter()
    {
        try
        {
            return long.TryParse(File.ReadAllText(Path.Combine(Directory, "counter")).Trim(), CultureInfo.InvariantCulture, out var n) ? n : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Waits until <see cref="Counter"/> grew by <paramref name="turns"/> from now: the script runs, and is not frozen.</summary>
    public async Task<long> WaitForCounterAsync(long turns, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = Counter() ?? 0;
        return await Poll.UntilAsync(() => Counter() is { } n && n >= start + turns ? n : (long?)null, timeout,
                                     $"the script under {Init} to count {turns} more", cancellationToken);
    }

    private static int? FirstChild(int parent)
    {
        try
        {
            var children = File.ReadAllText($"/proc/{parent}/task/{parent}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return children.Length > 0 ? int.Parse(children[0], CultureInfo.InvariantCulture) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (Init > 0)
        {
            try
            {
                using var init = Process.GetProcessById(Init);
                init.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // already gone
            }
        }
        if (!_unshare.HasExited)
            _unshare.Kill(entireProcessTree: true);
        _unshare.WaitForExit();
        _unshare.Dispose();
        // The script may still write its counter until SIGKILL took effect: wait, or deleting its directory can fail.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Init > 0 && !ProcessTable.IsGone(Init) && DateTime.UtcNow < deadline)
            Thread.Sleep(10);
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
