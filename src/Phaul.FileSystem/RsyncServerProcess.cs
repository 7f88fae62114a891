using System.Diagnostics;

namespace Phaul.FileSystem;

/// <summary>
/// The destination's <c>rsync --server</c>, started from arguments <see cref="RsyncServerArguments"/>
/// accepted, with its stdin and stdout for the caller to join to the source's rsync.
/// </summary>
internal sealed class RsyncServerProcess : IDisposable
{
    private const int StderrTailLines = 8;

    private readonly Process _process;
    private readonly Task<string> _stderr;
    private readonly OpenDirectory _target;

    private RsyncServerProcess(Process process, OpenDirectory target)
    {
        _process = process;
        _target = target;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>Its stdin: what the source's rsync sends.</summary>
    public Stream Input => _process.StandardInput.BaseStream;

    /// <summary>Its stdout: what goes back to the source's rsync.</summary>
    public Stream Output => _process.StandardOutput.BaseStream;

    /// <summary>Starts rsync; it owns <paramref name="target"/> from now on and closes it once rsync is gone.</summary>
    /// <param name="rsyncPath">The program's full path.</param>
    /// <param name="arguments">Checked arguments, "--server" first, the target's <see cref="OpenDirectory.FdPath"/> last.</param>
    /// <param name="target">The directory rsync writes into, open until it exits.</param>
    internal static RsyncServerProcess Start(string rsyncPath, IReadOnlyList<string> arguments, OpenDirectory target)
    {
        var start = new ProcessStartInfo(rsyncPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return new RsyncServerProcess(Process.Start(start)
                                      ?? throw new FileSystemMigrationException($"The destination could not start '{rsyncPath}'."), target);
    }

    /// <summary>
    /// Waits for it to exit after its output ended; throws when it failed, with its last error lines.
    /// </summary>
    /// <exception cref="FileSystemMigrationException">It exited with an error or was killed.</exception>
    public async Task WaitForSuccessAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var stderr = await _stderr.ConfigureAwait(false);
        if (_process.ExitCode == 0)
            return;
        var tail = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(StderrTailLines);
        // .NET reports a death by signal N as 128 + N.
        var how = _process.ExitCode > 128 ? $"was killed by signal {_process.ExitCode - 128}" : $"exited with code {_process.ExitCode}";
        throw new FileSystemMigrationException($"The destination's rsync {how}: {string.Join(" | ", tail)}".TrimEnd(' ', ':', '|'));
    }

    /// <summary>Closes its stdin: the source's rsync has nothing more to send.</summary>
    public void EndInput()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // It exited already; its exit code tells.
        }
    }

    /// <summary>Kills it if it still runs.</summary>
    public void Dispose()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // It has exited.
        }
        _process.Dispose();
        _target.Dispose();
    }
}
