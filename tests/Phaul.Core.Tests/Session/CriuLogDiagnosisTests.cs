using Phaul.Core.Tests.Migration;
using Phaul.Rpc;

namespace Phaul.Core.Tests.Session;

/// <summary>
/// The headline of a CRIU failure is its first real error, not the RLIMIT_NOFILE line CRIU logs on every run on hosts
/// without CAP_SYS_RESOURCE, with the fix where CRIU names one or the situation is known. The lines are CRIU 4.2.1's,
/// captured from real failed dumps and restores on the project's machines.
/// </summary>
public class CriuLogDiagnosisTests
{
    private const string Rlimit = "(00.134689) Error (criu/util.c:1534): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted";

    public static TheoryData<string, string, string> RealFailures => new()
    {
        { "(00.162826) Error (criu/sk-inet.c:200): inet: Connected TCP socket, consider using --tcp-established option.",
          "inet: Connected TCP socket, consider using --tcp-established option.", "--tcp-established" },
        { "(00.231314) Error (criu/file-lock.c:110): Some file locks are hold by dumping tasks! You can try --file-locks to dump them.",
          "Some file locks are hold by dumping tasks! You can try --file-locks to dump them.", "--file-locks" },
        { "(00.340573) Error (criu/sk-unix.c:874): unix: External socket is used. Consider using --ext-unix-sk option.",
          "unix: External socket is used. Consider using --ext-unix-sk option.", "--ext-unix-sk" },
        { "(00.138143) Error (criu/pstree.c:304): The root process 26617 is not a session leader. Consider using --shell-job option",
          "The root process 26617 is not a session leader. Consider using --shell-job option", "--shell-job" },
        { "(00.238959) Error (criu/cr-dump.c:1528): A session leader of 31210(1) is outside of its pid namespace",
          "A session leader of 31210(1) is outside of its pid namespace", "unshare --pid --fork setsid" },
        { "(00.132865) Error (criu/namespaces.c:1117): Can't dump a pid namespace without the process init",
          "Can't dump a pid namespace without the process init", "NSpid" },
        { "(00.179108) Error (criu/cr-restore.c:1237): Can't fork for 29197: File exists",
          "Can't fork for 29197: File exists", "own PID namespace" },
        { "(00.102090)      1: Error (criu/mem.c:1337): Unable to map ANON_VMA: Cannot allocate memory",
          "Unable to map ANON_VMA: Cannot allocate memory", "vm.overcommit_memory=1" },
    };

    [Theory]
    [MemberData(nameof(RealFailures))]
    public void The_first_real_error_is_the_headline_and_its_fix_is_named_not_the_rlimit_line(string causeLine, string headline, string fixMentions)
    {
        // Failure handled: every CRIU failure here was reported as "rlimit: Can't setup RLIMIT_NOFILE", the real cause only on disk.
        string[] log =
        [
            "(00.000000) Version: 4.2 (gitid 0)",
            Rlimit,
            "(00.162823) sockets: Searching for socket 0x247e80 family 2",
            causeLine,
            "(00.162855) Error (criu/cr-dump.c:1545): Dump files (pid: 27606) failed with -1",
            "(00.233928) Error (criu/cr-dump.c:1975): Dumping FAILED.",
        ];

        var cause = Assert.IsType<CriuFailureCause>(CriuLogDiagnosis.Diagnose(log));

        Assert.Equal(headline, cause.FirstError);
        Assert.Contains(fixMentions, cause.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_log_with_only_the_rlimit_line_and_the_summary_has_no_cause_to_claim()
    {
        // Failure handled: a headline must not pretend; with nothing real in the log, the message keeps the tail instead.
        Assert.Null(CriuLogDiagnosis.Diagnose([Rlimit, "(00.1) Error (criu/cr-dump.c:1975): Dumping FAILED."]));
        Assert.Null(CriuLogDiagnosis.Diagnose([]));
    }

    [Fact]
    public void An_error_with_no_known_fix_is_the_headline_without_one_and_an_option_CRIU_names_becomes_the_fix()
    {
        Assert.Equal(new CriuFailureCause("Can't open cwd: No such file or directory", null),
                     CriuLogDiagnosis.Diagnose([Rlimit, "(00.2)      1: Error (criu/files.c:1): Can't open cwd: No such file or directory"]));
        Assert.Contains("--some-new-option", CriuLogDiagnosis.Diagnose(["(00.3) Error (x.c:1): thing: consider using --some-new-option"])!.Fix,
                        StringComparison.Ordinal);
    }

    [Fact]
    public void The_exception_message_leads_with_the_cause_the_fix_and_the_log_path_instead_of_CRIUs_first_message()
    {
        using var dir = new TempDirectory();
        var log = Path.Combine(dir.Path, "dump.log");
        File.WriteAllLines(log, [Rlimit, .. Enumerable.Range(0, 100).Select(i => $"({i:00.000000}) filler {i}"),
                                 "(00.162826) Error (criu/sk-inet.c:200): inet: Connected TCP socket, consider using --tcp-established option.",
                                 .. Enumerable.Range(0, 100).Select(i => $"({i:00.000000}) unwinding {i}"),
                                 "(00.233928) Error (criu/cr-dump.c:1975): Dumping FAILED."]);
        using var directory = ImagesDirectory.Open(dir.Path);
        var location = new CriuLogLocation(directory.Fd, "dump.log");

        var error = new CriuException(CriuReqType.Dump, "CRIU reported failure",
                                      CriuFailureDetails.FromLog(location, criuMessage: Rlimit["(00.134689) ".Length..]));

        // The cause lies 100 lines above the tail, which alone would not hold it.
        Assert.DoesNotContain(error.LogTail, line => line.Contains("TCP", StringComparison.Ordinal));
        Assert.Equal("inet: Connected TCP socket, consider using --tcp-established option.", error.FirstError);
        Assert.Contains("--tcp-established", error.Fix, StringComparison.Ordinal);
        Assert.Equal(log, error.LogPath);
        var lines = error.Message.Split(Environment.NewLine);
        Assert.Equal("CRIU Dump failed: inet: Connected TCP socket, consider using --tcp-established option.", lines[0]);
        Assert.StartsWith("Fix: ", lines[1], StringComparison.Ordinal);
        Assert.Equal($"Full log: {log}", lines[2]);
        Assert.DoesNotContain("RLIMIT_NOFILE", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_public_constructor_finds_the_cause_in_the_tail_it_is_given()
    {
        var error = new CriuException(CriuReqType.Restore, "Restoring FAILED",
                                      logTail: [Rlimit, "(00.179108) Error (criu/cr-restore.c:1237): Can't fork for 5: File exists"]);

        Assert.Equal("Can't fork for 5: File exists", error.FirstError);
        Assert.StartsWith("CRIU Restore failed: Can't fork for 5: File exists", error.Message, StringComparison.Ordinal);
        Assert.Null(error.LogPath);
    }

    [Fact]
    public void A_failure_without_a_cause_in_its_log_does_not_quote_the_rlimit_line_as_what_CRIU_said()
    {
        var error = new CriuException(CriuReqType.Dump, "CRIU reported failure",
                                      criuMessage: "Error (criu/util.c:1534): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted");

        Assert.Null(error.FirstError);
        Assert.DoesNotContain("RLIMIT_NOFILE", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("rlimit:", error.CriuMessage!["Error (criu/util.c:1534): ".Length..], StringComparison.Ordinal); // kept for callers
    }

    [Fact]
    public void The_lazy_pages_daemon_and_page_server_failures_lead_with_the_cause_in_their_whole_log()
    {
        // Failure handled: a destination's own CRIU processes (page server, lazy-pages daemon) failed with only a log tail.
        using var dir = new TempDirectory();
        var log = Path.Combine(dir.Path, "lazy-pages.log");
        File.WriteAllLines(log, [Rlimit, "(00.5) Error (criu/uffd.c:1): uffd: Can't read userfaultfd: Bad file descriptor",
                                 .. Enumerable.Range(0, 40).Select(i => $"(01.{i:000000}) later {i}")]);

        var details = CriuFailureDetails.FromLogFile(log, ["(01.000039) later 39"]);
        var error = new LazyPagesDaemonException("pid 77 exited with 1: not every page arrived", details.LogTail, details);

        Assert.StartsWith("CRIU lazy-pages failed: uffd: Can't read userfaultfd: Bad file descriptor", error.Message, StringComparison.Ordinal);
        Assert.Contains($"Full log: {log}", error.Message, StringComparison.Ordinal);
        Assert.Contains("not every page arrived", error.Message, StringComparison.Ordinal);
    }
}
