using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

/// <summary>The destination's record of each hand-over, which answers a source that lost the answer to its commit.</summary>
public sealed class HandOverLedgerTests : IDisposable
{
    private readonly TempDirectory _wdir = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_question_while_the_copy_is_held_decides_against_it_and_the_commit_that_comes_later_is_refused()
    {
        // Failure handled: the source gave up waiting and asked, while its commit was still on its way: both ends must agree.
        var ledger = new HandOverLedger(_wdir.Path);
        ledger.Hold("s1", Session("s1"));

        Assert.False(await ledger.ResolveAsync("s1", Ct));
        Assert.False(ledger.TryCommit("s1", Environment.ProcessId));
        Assert.False(File.Exists(Path.Combine(Session("s1"), HandOverLedger.FileName)));
    }

    [Fact]
    public async Task A_committed_copy_is_answered_once_CRIU_resumed_it_or_failed_it()
    {
        var ledger = new HandOverLedger(_wdir.Path);
        ledger.Hold("s1", Session("s1"));
        ledger.Hold("s2", Session("s2"));
        Assert.True(ledger.TryCommit("s1", Environment.ProcessId));
        Assert.True(ledger.TryCommit("s2", Environment.ProcessId));

        var waiting = ledger.ResolveAsync("s1", Ct);
        Assert.False(waiting.IsCompleted); // committed, not resumed yet: the answer waits for CRIU
        ledger.Resumed("s1");
        ledger.Abandon("s2"); // the restore failed after the commit: CRIU killed the copy

        Assert.True(await waiting);
        Assert.False(await ledger.ResolveAsync("s2", Ct));
    }

    [Fact]
    public async Task A_restarted_service_answers_from_the_records_its_predecessor_left()
    {
        // Failure handled: kill -9 of phaul serve between the commit and the source's question.
        var before = new HandOverLedger(_wdir.Path);
        foreach (var id in new[] { "resumed", "failed", "committed-alive", "committed-gone" })
            before.Hold(id, Session(id));
        before.TryCommit("resumed", Environment.ProcessId);
        before.Resumed("resumed");
        before.TryCommit("failed", Environment.ProcessId);
        before.Abandon("failed");
        before.TryCommit("committed-alive", Environment.ProcessId); // serve died before CRIU's word: still runs, so it resumed
        using (var gone = System.Diagnostics.Process.Start("/bin/true")!)
        {
            gone.WaitForExit();
            File.WriteAllText(Path.Combine(Session("committed-gone"), HandOverLedger.FileName), $"committed-gone committed {gone.Id} 12345\n");
        }

        var after = new HandOverLedger(_wdir.Path);

        Assert.True(await after.ResolveAsync("resumed", Ct));
        Assert.False(await after.ResolveAsync("failed", Ct));
        Assert.True(await after.ResolveAsync("committed-alive", Ct));
        Assert.False(await after.ResolveAsync("committed-gone", Ct)); // CRIU killed the held copy when serve died
        Assert.False(await after.ResolveAsync("never-seen", Ct));
    }

    private string Session(string id) => Directory.CreateDirectory(Path.Combine(_wdir.Path, id)).FullName;

    public void Dispose() => _wdir.Dispose();
}
