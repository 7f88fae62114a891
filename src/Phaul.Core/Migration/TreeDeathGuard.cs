using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Phaul;

/// <summary>
/// Kills a process tree if this process dies before it says otherwise. A small shell child, in its own process group,
/// holds the read end of a pipe whose only write end is ours (close-on-exec): <see cref="Release"/> writes to it and the
/// child exits; any death of this process (kill -9 included) closes it, and the child then kills the tree, provided its
/// root is still the process it was when the guard was armed (same start time, so a reused pid is never hit).
/// Used where a tree must not outlive Phaul: a lazily restored tree whose pages have not all arrived would read zeros.
/// </summary>
internal sealed class TreeDeathGuard : IDisposable
{
    // $1 the root, $2 its start time, $3 "untraced" to wait first until no CRIU traces the root (a lazy dump still
    // serving its pages). Stop everything first so nothing forks away, then kill (root first: a PID namespace's init
    // takes its namespace with it).
    private const string Script = """
        IFS= read -r verdict <&3 && exit 0
        started() { s=$(cat /proc/$1/stat 2>/dev/null) || return 1; s=${s##*) }; set -- $s; echo "${20}"; }
        if [ "$3" = untraced ]; then
            while [ "$(started "$1")" = "$2" ] && grep -q '^TracerPid:[[:space:]]*[1-9]' /proc/$1/status 2>/dev/null; do sleep 0.2; done
        fi
        [ "$(started "$1")" = "$2" ] || exit 0
        members() { echo "$1"; for c in $(cat /proc/$1/task/*/children 2>/dev/null); do members "$c"; done; }
        pids=$(members "$1")
        kill -STOP $pids 2>/dev/null
        kill -KILL $pids 2>/dev/null
        exit 0
        """;

    private readonly ChildProcess _child;
    private FileStream? _verdict;

    private TreeDeathGuard(ChildProcess child, FileStream verdict, int root)
    {
        _child = child;
        _verdict = verdict;
        Root = root;
    }

    /// <summary>The guarded tree's root.</summary>
    public int Root { get; }

    /// <summary>Arms a guard over the tree rooted at <paramref name="root"/>.</summary>
    /// <param name="root">The tree's root.</param>
    /// <param name="onceUntraced">Set off, wait until no CRIU traces the root any more before killing (a lazy dump serves pages until then).</param>
    /// <exception cref="NativeCallException">The pipe or the guard could not be made, or the root is gone.</exception>
    public static unsafe TreeDeathGuard Arm(int root, bool onceUntraced = false)
    {
        var startTime = StartTimeOf(root) ?? throw new NativeCallException("stat", Interop.Errno.ESRCH, $"/proc/{root}/stat: the tree to guard is gone");
        var fds = stackalloc int[2];
        if (Interop.Pipe2(fds, Interop.O_CLOEXEC) != 0)
            throw NativeCallException.FromLastError("pipe2", "tree death guard");
        using var read = new SafeFdHandle(fds[0]);
        var write = new FileStream(new SafeFileHandle(fds[1], ownsHandle: true), FileAccess.Write, bufferSize: 0);
        try
        {
            var child = ChildProcess.Start("/bin/sh", ["-c", Script, "phaul-guard", root.ToString(CultureInfo.InvariantCulture), startTime,
                                                       onceUntraced ? "untraced" : "at-once"],
                                           [read.Fd], $"phaul-guard-{root}");
            return new TreeDeathGuard(child, write, root);
        }
        catch
        {
            write.Dispose();
            throw;
        }
    }

    /// <summary>Stands the guard down: the tree's fate is Phaul's again (it completed, or Phaul killed it itself).</summary>
    public void Release()
    {
        if (_verdict is null)
            return;
        try
        {
            _verdict.Write("release\n"u8);
        }
        catch (IOException)
        {
            // The guard is gone already; nothing of it is left to stand down.
        }
        _verdict.Dispose();
        _verdict = null;
        _child.Reap();
    }

    /// <summary>Sets the guard off now, as the death of this process would: the tree is killed.</summary>
    internal void Trip()
    {
        _verdict?.Dispose();
        _verdict = null;
        _child.Reap();
    }

    /// <summary>Releases the guard: only the death of this process may set it off.</summary>
    public void Dispose()
    {
        Release();
        _child.Dispose();
    }

    /// <summary>Field 22 of /proc/PID/stat (the start time in clock ticks since boot), or null when the process is gone.</summary>
    internal static string? StartTimeOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        }
        catch (IOException)
        {
            return null;
        }
    }
}
