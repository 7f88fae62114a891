using System.Globalization;

namespace Phaul.Core.Tests.Migration;

/// <summary>
/// Trees CRIU cannot dump are refused before anything freezes, each with its fix; namespaces the tree does not share
/// with phaul are named with what CRIU will do. Runs against a made-up procfs: phaul is pid 500, child of 400, child of 1.
/// </summary>
public sealed class DumpableTreeCheckTests : IDisposable
{
    private const int Phaul = 500;
    private const uint KernelThread = 0x00200000;

    private readonly TempDirectory _proc = new();
    private readonly DumpableTreeCheck _check;

    public DumpableTreeCheckTests()
    {
        _check = new DumpableTreeCheck(new ProcFiles(_proc.Path), Phaul);
        Process(1, "systemd", parent: 0, session: 1);
        Process(2, "kthreadd", parent: 0, session: 0, flags: KernelThread);
        Process(400, "bash", parent: 1, session: 400);
        Process(Phaul, "phaul", parent: 400, session: 400);
    }

    [Fact]
    public void A_pid_that_does_not_exist_is_refused()
    {
        Assert.Contains("pid 4242 does not exist", _check.Check(4242).Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void The_hosts_init_is_refused_with_the_fix_to_run_the_workload_in_its_own_PID_namespace()
    {
        // Failure handled: migrating pid 1 failed late, inside CRIU, under the misleading rlimit headline.
        var refusal = _check.Check(1).Refusal;

        Assert.Contains("pid 1 (systemd) is the init of phaul's PID namespace", refusal, StringComparison.Ordinal);
        Assert.Contains("Fix: run the workload as the root of its own PID namespace (unshare --pid --fork setsid COMMAND)", refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(77)]
    public void A_kernel_thread_is_refused(int pid)
    {
        // Failure handled: CRIU cannot seize kernel threads ("Unable to interrupt task: 2 (Operation not permitted)").
        Process(77, "kworker/0:1", parent: 2, session: 0, flags: KernelThread);

        Assert.Contains("is a kernel thread", _check.Check(pid).Refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Phaul, "is phaul itself")]
    [InlineData(400, "is an ancestor of phaul (pid 500)")]
    public void Phaul_and_its_ancestors_are_refused_since_phaul_would_freeze_itself(int pid, string says)
    {
        var refusal = _check.Check(pid).Refusal;

        Assert.Contains(says, refusal, StringComparison.Ordinal);
        Assert.Contains("Fix:", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_process_that_is_not_the_init_of_its_PID_namespace_is_refused_naming_the_init_to_migrate()
    {
        // Failure handled: CRIU's "Can't dump a pid namespace without the process init", found only inside the freeze.
        Process(600, "sh", parent: 1, session: 600, nsPids: [600, 1], pidNamespace: "pid:[2]");
        Process(601, "workload", parent: 600, session: 601, nsPids: [601, 2], pidNamespace: "pid:[2]");

        var refusal = _check.Check(601).Refusal;

        Assert.Contains("pid 601 (workload) is pid 2 of its own PID namespace, not that namespace's init", refusal, StringComparison.Ordinal);
        Assert.Contains("Fix: migrate pid 600, the namespace's init", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_namespace_init_whose_session_leader_is_outside_the_namespace_is_refused_with_setsid_as_the_fix()
    {
        // Failure handled: CRIU's "A session leader of N(1) is outside of its pid namespace", even with --shell-job.
        Process(600, "workload", parent: 400, session: 400, nsPids: [600, 1], pidNamespace: "pid:[2]");

        var refusal = _check.Check(600).Refusal;

        Assert.Contains("is in a session led by pid 400, outside that namespace", refusal, StringComparison.Ordinal);
        Assert.Contains("setsid", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_namespace_root_in_its_own_session_passes_and_the_namespaces_it_does_not_share_are_named_with_what_CRIU_does()
    {
        Process(600, "workload", parent: 400, session: 600, nsPids: [600, 1], pidNamespace: "pid:[2]", netNamespace: "net:[9]");

        var verdict = _check.Check(600);

        Assert.Null(verdict.Refusal);
        Assert.Equal([("pid", false), ("net", true)], verdict.Notes.Select(n => (n.Subject, n.NeedsAttention)));
        Assert.Contains("--external veth", verdict.Notes[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tree_in_phauls_PID_namespace_that_leads_no_session_is_warned_about_shell_job_not_refused()
    {
        // CRIU dumps it with --shell-job, which the final dump's options may set where this check cannot see them.
        Process(700, "sleep", parent: 400, session: 400);

        var verdict = _check.Check(700);

        Assert.Null(verdict.Refusal);
        var note = Assert.Single(verdict.Notes);
        Assert.True(note.NeedsAttention);
        Assert.Contains("--shell-job", note.Text, StringComparison.Ordinal);
    }

    private void Process(int pid, string command, int parent, int session, uint flags = 0x00400100, int[]? nsPids = null,
                         string pidNamespace = "pid:[1]", string netNamespace = "net:[1]")
    {
        var dir = Directory.CreateDirectory(Path.Combine(_proc.Path, pid.ToString(CultureInfo.InvariantCulture))).FullName;
        File.WriteAllText(Path.Combine(dir, "stat"),
                          $"{pid} ({command}) S {parent} {session} {session} 0 -1 {flags} 100 0 0 0 0 0 0 0 20 0 1 0 1234 0 0\n");
        File.WriteAllText(Path.Combine(dir, "status"),
                          $"Name:\t{command}\nNSpid:\t{string.Join('\t', nsPids ?? [pid])}\nState:\tS (sleeping)\n");
        var ns = Directory.CreateDirectory(Path.Combine(dir, "ns")).FullName;
        foreach (var (kind, id) in new[] { ("pid", pidNamespace), ("net", netNamespace), ("mnt", "mnt:[1]"), ("ipc", "ipc:[1]"),
                                           ("uts", "uts:[1]"), ("user", "user:[1]"), ("cgroup", "cgroup:[1]") })
            File.CreateSymbolicLink(Path.Combine(ns, kind), id);
    }

    public void Dispose() => _proc.Dispose();
}
