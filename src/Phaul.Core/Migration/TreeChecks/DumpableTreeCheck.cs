namespace Phaul;

/// <summary>
/// Decides, before anything freezes, whether CRIU can dump the tree rooted at a pid, by CRIU's own rules (as seen on
/// real dumps): a refusal names the problem and the fix; notes say what CRIU will do with namespaces the tree does
/// not share with phaul. Reads only the procfs it is given, so that every rule is testable.
/// </summary>
internal sealed class DumpableTreeCheck(ProcFiles proc, int ownPid)
{
    private const string OwnPidNamespace = "unshare --pid --fork setsid COMMAND";

    // CRIU dumps a namespace the tree does not share with CRIU (phaul's CRIU runs in phaul's namespaces) and creates it
    // anew on the destination. PID namespaces have rules of their own, checked before these notes.
    private static readonly (string Kind, string WhatCriuDoes)[] Namespaces =
    [
        ("net", "CRIU dumps that network namespace with its links, addresses and routes and creates it anew on the destination: " +
                "a veth link to the outside needs --external veth[INSIDE]:OUTSIDE@BRIDGE (or it is restored unplugged), " +
                "established TCP connections need --tcp-established, and a kind of link CRIU cannot dump fails the dump"),
        ("mnt", "CRIU dumps that mount namespace with its mounts and creates it anew on the destination, which needs the same " +
                "file systems; mounts from outside the namespace must be named with --external mnt[...]"),
        ("ipc", "CRIU dumps that IPC namespace (its SysV shared memory, semaphores and message queues) and creates it anew"),
        ("uts", "CRIU dumps that UTS namespace (its host and domain name) and creates it anew"),
        ("user", "CRIU dumps that user namespace with its uid and gid maps and creates it anew"),
        ("cgroup", "CRIU dumps that cgroup namespace and creates it anew"),
    ];

    /// <summary>A check of this host's processes from this process.</summary>
    public static DumpableTreeCheck Host { get; } = new(ProcFiles.Host, Environment.ProcessId);

    public TreeVerdict Check(int pid)
    {
        if (proc.Stat(pid) is not { } stat)
            return TreeVerdict.Refused($"pid {pid} does not exist (no /proc/{pid}). Fix: give the pid of a running process.");
        var refusal = RefuseSystemProcess(pid, stat) ?? RefuseOwnAncestry(pid, stat) ?? RefusePidNamespaceRules(pid, stat);
        return refusal is not null ? TreeVerdict.Refused(refusal) : new TreeVerdict(null, Notes(pid, stat));
    }

    private static string? RefuseSystemProcess(int pid, ProcStat stat)
    {
        if (stat.IsKernelThread || pid == 2)
            return $"pid {pid} ({stat.Command}) is a kernel thread: it belongs to the kernel, and CRIU dumps only user processes. " +
                   "Fix: give the pid of the user process at the root of the tree to migrate.";
        if (pid == 1)
            return $"pid 1 ({stat.Command}) is the init of phaul's PID namespace (the host's init): every process hangs from it, and CRIU " +
                   $"cannot freeze it. Fix: run the workload as the root of its own PID namespace ({OwnPidNamespace}) and give that pid.";
        return null;
    }

    // Dumping phaul's own tree would freeze phaul (and its CRIU) with it.
    private string? RefuseOwnAncestry(int pid, ProcStat stat)
    {
        if (pid == ownPid)
            return $"pid {pid} is phaul itself. Fix: give the pid of the tree to migrate, which must not contain phaul.";
        for (var ancestor = proc.Stat(ownPid)?.ParentPid ?? 0; ancestor > 0; ancestor = proc.Stat(ancestor)?.ParentPid ?? 0)
        {
            if (ancestor == pid)
                return $"pid {pid} ({stat.Command}) is an ancestor of phaul (pid {ownPid}), so the tree holds phaul, which would freeze " +
                       "itself. Fix: start phaul outside that tree (e.g. from another session) or migrate a tree that does not contain it.";
        }
        return null;
    }

    // CRIU dumps a PID namespace only whole, from its init, and that init's session must lie inside the namespace.
    private string? RefusePidNamespaceRules(int pid, ProcStat stat)
    {
        if (!InOwnNamespace(pid, "pid"))
            return null;
        var nsPids = proc.NamespacePids(pid) ?? [];
        if (nsPids.Count > 0 && nsPids[^1] != 1)
        {
            var init = FindNamespaceInit(pid);
            return $"pid {pid} ({stat.Command}) is pid {nsPids[^1]} of its own PID namespace, not that namespace's init, and CRIU dumps " +
                   $"a PID namespace only whole, from its init. Fix: migrate {(init is { } i ? $"pid {i}, " : "")}the namespace's init " +
                   "(the process whose NSpid in /proc/PID/status ends in 1).";
        }
        if (stat.Session != pid)
            return $"pid {pid} ({stat.Command}), the init of its own PID namespace, is in a session led by pid {stat.Session}, outside that " +
                   "namespace, which CRIU cannot dump (not even with --shell-job). Fix: start the tree in its own session inside the " +
                   $"namespace: {OwnPidNamespace}.";
        return null;
    }

    private int? FindNamespaceInit(int pid)
    {
        var tree = proc.Namespace(pid, "pid");
        for (var candidate = pid; candidate > 0 && proc.Namespace(candidate, "pid") == tree; candidate = proc.Stat(candidate)?.ParentPid ?? 0)
        {
            if (proc.NamespacePids(candidate) is [.., 1])
                return candidate;
        }
        return null;
    }

    private List<TreeNote> Notes(int pid, ProcStat stat)
    {
        var notes = new List<TreeNote>();
        if (!InOwnNamespace(pid, "pid") && (stat.Session != pid || stat.ProcessGroup != pid))
            notes.Add(new TreeNote("session", true,
                $"pid {pid} ({stat.Command}) does not lead its own session and process group (session {stat.Session}, group " +
                $"{stat.ProcessGroup}, outside the tree): CRIU refuses such a tree unless dump and restore run with --shell-job " +
                $"(library: ShellJob); or start the tree in its own session and PID namespace ({OwnPidNamespace})"));
        if (InOwnNamespace(pid, "pid"))
            notes.Add(new TreeNote("pid", false,
                $"pid {pid} is the init of its own PID namespace: CRIU restores the tree into a new PID namespace on the destination"));
        foreach (var (kind, whatCriuDoes) in Namespaces)
        {
            if (InOwnNamespace(pid, kind))
                notes.Add(new TreeNote(kind, kind is "net" or "mnt", $"pid {pid} is in another {kind} namespace than phaul: {whatCriuDoes}"));
        }
        return notes;
    }

    private bool InOwnNamespace(int pid, string kind) =>
        proc.Namespace(pid, kind) is { } tree && proc.Namespace(ownPid, kind) is { } own && tree != own;
}

/// <summary>What CRIU will do with a namespace or session the tree does not share with phaul.</summary>
/// <param name="Subject">The namespace kind ("net", "pid", ...) or "session".</param>
/// <param name="NeedsAttention">Whether the dump or the restore may fail or change the tree without an option (a warning).</param>
/// <param name="Text">What CRIU does and needs.</param>
internal sealed record TreeNote(string Subject, bool NeedsAttention, string Text);

/// <summary>Whether the tree can be dumped: a refusal (with its fix), or notes on what CRIU will do.</summary>
internal sealed record TreeVerdict(string? Refusal, IReadOnlyList<TreeNote> Notes)
{
    public static TreeVerdict Dumpable { get; } = new(null, []);

    public static TreeVerdict Refused(string refusal) => new(refusal, []);
}
