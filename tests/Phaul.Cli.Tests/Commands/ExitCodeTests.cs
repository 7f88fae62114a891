using Phaul.Cli.Migration;
using Phaul.Cli.Tests.Support;

namespace Phaul.Cli.Tests.Commands;

/// <summary>One meaning per exit code: where the tree runs decides it, whatever the message.</summary>
public class ExitCodeTests
{
    [Fact]
    public void A_lost_process_exits_3()
    {
        var lost = new MigrationException(MigrationStep.DumpCopyRestore, 1, finalStageCompleted: false,
                                          new ProcessLostException(4242, "the link was cut"));

        Assert.Equal(ExitCode.ProcessLost, RemoteMigration.ExitCodeFor(lost));
    }

    [Fact]
    public void A_hand_over_in_doubt_exits_4_even_when_wrapped()
    {
        var doubt = new HandOverInDoubtException(4242, "192.0.2.7:7480", "the connection broke", null);
        var failure = new MigrationException(MigrationStep.DumpCopyRestore, 1, finalStageCompleted: false, new IOException("wrapped", doubt));

        Assert.Equal(ExitCode.HandOverInDoubt, RemoteMigration.ExitCodeFor(failure));
    }

    [Fact]
    public void A_failure_that_left_the_tree_on_the_source_exits_1()
    {
        var failure = new MigrationException(MigrationStep.DumpCopyRestore, 1, finalStageCompleted: false, new IOException("the dump failed"));

        Assert.Equal(ExitCode.Failed, RemoteMigration.ExitCodeFor(failure));
    }

    [Fact]
    public void A_pid_CRIU_cannot_dump_is_bad_input_exiting_2_with_the_fix_and_the_tree_untouched()
    {
        // Handles: --pid 2 (a kernel thread), 1, phaul's ancestor...: refused by the core before anything froze.
        var refused = new MigrationException(MigrationStep.CheckTree, null, finalStageCompleted: false,
                                             new InvalidOperationException("pid 2 (kthreadd) is a kernel thread. Fix: give another pid."));

        Assert.Equal(ExitCode.BadInput, RemoteMigration.ExitCodeFor(refused));
        Assert.Equal("--pid 2: pid 2 (kthreadd) is a kernel thread. Fix: give another pid. Nothing was frozen: pid 2 keeps running here.",
                     RemoteMigration.DescribeFailure(refused, 2));
    }

    [Fact]
    public async Task Migrate_help_lists_every_exit_code()
    {
        var result = await PhaulCli.RunAsync("migrate", "--help");

        foreach (var code in Enum.GetValues<ExitCode>())
            Assert.Contains($"{(int)code} ", result.Stdout.Replace(Environment.NewLine, " ", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("3 process lost", result.Stdout, StringComparison.Ordinal);
    }
}
