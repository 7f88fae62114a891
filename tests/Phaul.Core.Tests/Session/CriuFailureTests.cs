using Phaul.Core.Tests.Fakes;
using Phaul.Rpc;
using static Phaul.Core.Tests.Fakes.Deadlines;

namespace Phaul.Core.Tests.Session;

/// <summary>Every way a request can fail ends in a clear exception, never a hang, and CRIU is killed when the session broke.</summary>
public sealed class CriuFailureTests : IDisposable
{
    private readonly TestFds _fds = new();

    [Fact]
    public async Task FailedResponse_CarriesErrnoMessageAndTheLastTwentyLogLines()
    {
        // Failure handled: CRIU answers success=false; the cause is in its log, not in cr_errmsg.
        File.WriteAllLines(Path.Combine(_fds.Directory.FullName, "dump.log"),
                           Enumerable.Range(1, 30).Select(i => $"({i:D2}) log line {i}"));
        using var fake = FakeFailing(new CriuResp
        {
            Type = CriuReqType.Dump, Success = false, CrErrno = 3,
            CrErrmsg = "rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted",
        });
        using var criu = fake.CreateCriu();

        var error = await Assert.ThrowsAsync<CriuException>(() => criu.DumpAsync(_fds.Opts("dump.log"), null, Ct).WithDeadline());
        await fake.ScriptsCompletedAsync();

        Assert.Equal(CriuReqType.Dump, error.RequestType);
        Assert.Equal(3, error.CriuErrno);
        Assert.StartsWith("rlimit:", error.CriuMessage, StringComparison.Ordinal);
        Assert.Equal(CriuLogLocation.TailLines, error.LogTail.Count);
        Assert.Equal("(30) log line 30", error.LogTail[^1]);
        Assert.Equal("(11) log line 11", error.LogTail[0]);
        Assert.Contains("log line 30", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailedResponse_WithoutALog_QuotesWhatSwrkPrinted()
    {
        // Failure handled: CRIU rejects the options before its log is open; only its stderr says why.
        using var fake = FakeFailing(new CriuResp { Type = CriuReqType.Dump, Success = false });
        fake.Output = ["Error (criu/cr-service.c:123): No subdirs are allowed in log_file name"];
        using var criu = fake.CreateCriu();

        var error = await Assert.ThrowsAsync<CriuException>(() => criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline());

        Assert.Null(error.CriuErrno);
        Assert.Null(error.CriuMessage);
        Assert.Contains("No subdirs are allowed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestCriuRejectsOutright_WithAnEmptyTypedAnswer_IsACriuFailureNotAProtocolError()
    {
        using var fake = FakeFailing(new CriuResp { Type = CriuReqType.Empty, Success = false, CrErrmsg = "Invalid req" });
        using var criu = fake.CreateCriu();

        var error = await Assert.ThrowsAsync<CriuException>(() => criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline());

        Assert.IsNotType<CriuProtocolException>(error);
        Assert.Equal("Invalid req", error.CriuMessage);
    }

    [Fact]
    public async Task PeerDiesMidRequest_ThrowsSayingHowItEnded_WithoutHanging()
    {
        // Failure handled: CRIU crashes after receiving the request: EOF on its socket.
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            await peer.ExpectAsync(CriuReqType.Dump);
            peer.Die();
        });
        fake.Output = ["Segmentation fault"];
        using var criu = fake.CreateCriu();

        var error = await Assert.ThrowsAsync<CriuException>(() => criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline());
        await fake.ScriptsCompletedAsync();

        Assert.Contains(FakeSwrkProcess.ExitDescription, error.Message, StringComparison.Ordinal);
        Assert.Contains("Segmentation fault", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PeerExitsWhileSomethingElseHoldsItsSocket_IsNoticedWithoutHanging()
    {
        // Failure handled: a page server CRIU forked keeps swrk's socket open, so its death shows no EOF.
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            await peer.ExpectAsync(CriuReqType.FeatureCheck);
            peer.ExitKeepingSocket();
        });
        using var criu = fake.CreateCriu();

        var error = await Assert.ThrowsAsync<CriuException>(
            () => criu.FeatureCheckAsync(new CriuFeatures { LazyPages = true }, Ct).WithDeadline());

        Assert.Contains("before answering", error.Message, StringComparison.Ordinal);
        Assert.True(fake.Peers.Single().WasKilled);
    }

    [Fact]
    public async Task Garbage_IsAProtocolError_AndTheSessionIsKilled()
    {
        // Failure handled: bytes that are not a CriuResp.
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            await peer.ExpectAsync(CriuReqType.Dump);
            await peer.SendRawAsync([0xff, 0xff, 0xff, 0xff, 0x0f]);
        });
        using var criu = fake.CreateCriu();

        var error = await Assert.ThrowsAsync<CriuProtocolException>(() => criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline());
        await fake.ScriptsCompletedAsync();

        Assert.Contains("not a CriuResp", error.Message, StringComparison.Ordinal);
        Assert.True(fake.Peers.Single().WasKilled);
    }

    [Fact]
    public async Task AnswerToAnotherRequest_IsAProtocolError()
    {
        using var fake = FakeFailing(new CriuResp { Type = CriuReqType.Restore, Success = true, Restore = new CriuRestoreResp { Pid = 1 } });
        using var criu = fake.CreateCriu();

        var error = await Assert.ThrowsAsync<CriuProtocolException>(() => criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline());

        Assert.Contains("Restore response", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotifyWithoutItsNotifyField_IsAProtocolError()
    {
        using var fake = FakeFailing(new CriuResp { Type = CriuReqType.Notify, Success = true });
        using var criu = fake.CreateCriu();

        await Assert.ThrowsAsync<CriuProtocolException>(() => criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline());
    }

    [Fact]
    public async Task DatagramLargerThanTheBuffer_IsRejectedAsTruncated_NotParsedInPart()
    {
        // Failure handled: SOCK_SEQPACKET silently cuts a datagram longer than the read buffer.
        var response = new CriuResp { Type = CriuReqType.Dump, Success = false, CrErrmsg = new string('x', SwrkChannel.MaxMessageBytes) };
        using var fake = FakeFailing(response);
        using var criu = fake.CreateCriu();

        var error = await Assert.ThrowsAsync<CriuProtocolException>(() => criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline());

        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_request_that_holds_no_tree_kills_criu()
    {
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            await peer.ExpectAsync(CriuReqType.PageServer);
        });
        using var criu = fake.CreateCriu();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var pageServer = criu.StartPageServerAsync(_fds.Opts(), cancel.Token);
        await fake.ScriptsCompletedAsync();
        await cancel.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pageServer.WithDeadline());
        Assert.Equal(cancel.Token, error.CancellationToken);
        Assert.True(fake.Peers.Single().WasKilled);
    }

    [Theory]
    [InlineData(CriuReqType.Dump, "post-dump")]
    [InlineData(CriuReqType.PreDump, "post-dump")]
    public async Task Cancelling_a_dump_fails_its_next_notification_and_never_kills_criu(CriuReqType type, string script)
    {
        // Failure handled: Ctrl-C while CRIU holds the tree frozen, its network locked. Killing CRIU then would leave
        // the network locked and the tree running beside a copy; failing its notification makes CRIU resume the tree
        // and unlock the network itself.
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answers = new List<bool>();
        var killedBeforeAnswering = true;
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            await peer.ExpectAsync(type);
            await cancelled.Task.WaitAsync(FakeSwrkPeer.Deadline, Ct);
            answers.Add(await peer.NotifyAsync(script, 42));
            answers.Add(await peer.NotifyAsync("network-unlock"));
            killedBeforeAnswering = peer.WasKilled;
            await peer.SendAsync(new CriuResp { Type = type, Success = false, CrErrno = 5 });
        });
        using var criu = fake.CreateCriu();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var handler = new RecordingNotify();

        var request = type switch
        {
            CriuReqType.Dump => criu.DumpAsync(_fds.Opts(), handler, cancel.Token),
            _ => criu.PreDumpAsync(_fds.Opts(), handler, cancel.Token),
        };
        await Poll.UntilAsync(() => fake.Peers.SingleOrDefault()?.Received.Count == 2 ? "sent" : null, FakeSwrkPeer.Deadline, "the request", Ct);
        await cancel.CancelAsync();
        cancelled.SetResult();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request.WithDeadline());
        await fake.ScriptsCompletedAsync();
        Assert.Equal([false, false], answers);
        Assert.Empty(handler.Calls); // a cancelled request's handler is not asked to start anything more
        Assert.False(killedBeforeAnswering);
        Assert.Equal(5, Assert.IsType<CriuException>(error.InnerException).CriuErrno);
    }

    [Fact]
    public async Task A_dump_that_succeeds_although_cancelled_returns_its_success_because_the_tree_is_gone()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var killedBeforeAnswering = true;
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            await peer.ExpectAsync(CriuReqType.Dump);
            await cancelled.Task.WaitAsync(FakeSwrkPeer.Deadline, Ct);
            killedBeforeAnswering = peer.WasKilled;
            await peer.ReplySuccessAsync(CriuReqType.Dump);
        });
        using var criu = fake.CreateCriu();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var dump = criu.DumpAsync(_fds.Opts(), null, cancel.Token);
        await Poll.UntilAsync(() => fake.Peers.SingleOrDefault()?.Received.Count == 2 ? "sent" : null, FakeSwrkPeer.Deadline, "the dump", Ct);
        await cancel.CancelAsync();
        cancelled.SetResult();

        await dump.WithDeadline();
        Assert.False(killedBeforeAnswering);
    }

    private static FakeSwrkLauncher FakeFailing(CriuResp answer) => new(async peer =>
    {
        await peer.ServeVersionAsync();
        await peer.ExpectAsync(CriuReqType.Dump);
        await peer.SendAsync(answer);
    });

    public void Dispose() => _fds.Dispose();

    private sealed class RecordingNotify : CriuNotifyBase
    {
        public List<string> Calls { get; } = [];

        public override Task PostDumpAsync() => Record("post-dump");

        public override Task NetworkUnlockAsync() => Record("network-unlock");

        private Task Record(string call)
        {
            Calls.Add(call);
            return Task.CompletedTask;
        }
    }
}
