using System.Globalization;

namespace Phaul;

/// <inheritdoc cref="IProcessTrees"/>
/// <remarks>
/// Each process is signalled through a pidfd opened just before, so a pid that was reused in between
/// is the only race, and it needs a tree that is still forking and exiting: the trees Phaul signals are
/// frozen or stopped by CRIU, or (a restored tree) killed root first when it is a PID namespace's init.
/// </remarks>
internal sealed class ProcessTrees : IProcessTrees
{
    // A running tree may fork while it is being killed: go over it again, a bounded number of times.
    private const int KillRounds = 5;

    public static ProcessTrees Instance { get; } = new();

    public int Kill(int root)
    {
        var signalled = 0;
        for (var round = 0; round < KillRounds; round++)
        {
            var members = Members(root);
            if (members.Count == 0)
                break;
            // Root first: when it is a PID namespace's init, the kernel kills the rest.
            var sent = members.Count(pid => Signal(pid, Interop.SIGKILL));
            if (sent == 0)
                break;
            signalled += sent;
        }
        return signalled;
    }

    public int Continue(int root) => Members(root).Count(pid => Signal(pid, Interop.SIGCONT));

    public int Stop(int root) => Members(root).Count(pid => Signal(pid, Interop.SIGSTOP));

    public IDisposable GuardAgainstOurDeath(int root, bool onceUntraced = false) => TreeDeathGuard.Arm(root, onceUntraced);

    /// <summary>The root and its live descendants, root first; empty when the root is gone.</summary>
    public static IReadOnlyList<int> Members(int root)
    {
        var members = new List<int>();
        var pending = new Queue<int>([root]);
        while (pending.TryDequeue(out var pid))
        {
            if (!IsAlive(pid) || members.Contains(pid))
                continue;
            members.Add(pid);
            foreach (var child in ChildrenOf(pid))
                pending.Enqueue(child);
        }
        return members;
    }

    /// <summary>
    /// The text of <c>/proc/PID/<paramref name="file"/></c> of every process of the tree, root first; <see langword="null"/>
    /// when the root is gone or unreadable. A child that exits meanwhile is left out.
    /// </summary>
    public static IReadOnlyList<(int Pid, string Text)>? ReadEach(int root, string file)
    {
        var members = Members(root);
        var texts = new List<(int Pid, string Text)>();
        foreach (var pid in members)
        {
            try
            {
                texts.Add((pid, File.ReadAllText($"/proc/{pid}/{file}")));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (pid == root)
                    return null;
            }
        }
        return members.Count == 0 ? null : texts;
    }

    private static bool Signal(int pid, int signal)
    {
        using var pidFd = PidFd.TryOpen(pid);
        return pidFd?.TrySignal(signal) == true;
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] is not ('Z' or 'X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static List<int> ChildrenOf(int pid)
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{pid}/task");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        var children = new List<int>();
        foreach (var task in tasks)
        {
            try
            {
                children.AddRange(File.ReadAllText(Path.Combine(task, "children"))
                                      .Split(' ', StringSplitOptions.RemoveEmptyEntries)
                                      .Select(child => int.Parse(child, CultureInfo.InvariantCulture)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The thread exited meanwhile.
            }
        }
        return children;
    }
}
