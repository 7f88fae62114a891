using Moq;
using Phaul.Core.Tests.Fakes;
using Phaul.Rpc;
using static Phaul.Core.Tests.Fakes.Deadlines;

namespace Phaul.Core.Tests.Session;

/// <summary>CRIU's notify round-trips: each script reaches ICriuNotify, and the answer reaches CRIU.</summary>
public sealed class CriuNotifyTests : IDisposable
{
    private static readonly string[] DumpScripts = ["pre-dump", "network-lock", "query-ext-files", "post-dump", "some-future-script"];

    private readonly TestFds _fds = new();

    [Fact]
    public async Task Restore_CallsEachHandlerInCriusOrder_WithThePid_AndAnswersSuccess()
    {
        var answers = new List<bool>();
        CriuReq? sent = null;
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            sent = await peer.ExpectAsync(CriuReqType.Restore);
            foreach (var (script, pid) in new[]
                     {
                         ("pre-restore", 0), ("setup-namespaces", 55), ("post-setup-namespaces", 0), ("network-unlock", 0),
                         ("post-restore", 55), ("pre-resume", 0), ("post-resume", 0),
                     })
                answers.Add(await peer.NotifyAsync(script, pid));
            await peer.SendAsync(new CriuResp { Type = CriuReqType.Restore, Success = true, Restore = new CriuRestoreResp { Pid = 55 } });
        });
        using var criu = fake.CreateCriu();
        var notify = new Mock<ICriuNotify>(MockBehavior.Strict);
        var order = new MockSequence();
        notify.InSequence(order).Setup(n => n.PreRestoreAsync()).Returns(Task.CompletedTask);
        notify.InSequence(order).Setup(n => n.SetupNamespacesAsync(55)).Returns(Task.CompletedTask);
        notify.InSequence(order).Setup(n => n.PostSetupNamespacesAsync()).Returns(Task.CompletedTask);
        notify.InSequence(order).Setup(n => n.NetworkUnlockAsync()).Returns(Task.CompletedTask);
        notify.InSequence(order).Setup(n => n.PostRestoreAsync(55)).Returns(Task.CompletedTask);
        notify.InSequence(order).Setup(n => n.PostResumeAsync()).Returns(Task.CompletedTask);

        var pid = await criu.RestoreAsync(_fds.Opts(), notify.Object, Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();

        Assert.Equal(55, pid);
        Assert.True(sent!.Opts.NotifyScripts, "a request with a handler must ask CRIU for notifications");
        Assert.All(answers, Assert.True);
        Assert.Equal(7, answers.Count);
        notify.VerifyAll();
    }

    [Fact]
    public async Task Dump_ScriptsWithoutAHandlerMethod_AreAnsweredSuccess()
    {
        var answers = new List<bool>();
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            await peer.ExpectAsync(CriuReqType.Dump);
            foreach (var script in DumpScripts)
                answers.Add(await peer.NotifyAsync(script));
            await peer.ReplySuccessAsync(CriuReqType.Dump);
        });
        using var criu = fake.CreateCriu();
        var notify = new Mock<ICriuNotify>(MockBehavior.Strict);
        notify.Setup(n => n.PreDumpAsync()).Returns(Task.CompletedTask);
        notify.Setup(n => n.NetworkLockAsync()).Returns(Task.CompletedTask);
        notify.Setup(n => n.PostDumpAsync()).Returns(Task.CompletedTask);

        await criu.DumpAsync(_fds.Opts(), notify.Object, Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();

        Assert.Equal([true, true, true, true, true], answers);
        notify.VerifyAll();
    }

    [Fact]
    public async Task ThrowingHandler_IsAnsweredFailure_AndItsExceptionIsTheInnerOfTheCriuException()
    {
        // Failure handled: the post-dump handler throws, CRIU is told, fails the dump, and the caller sees why.
        var answers = new List<bool>();
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            await peer.ExpectAsync(CriuReqType.Dump);
            answers.Add(await peer.NotifyAsync("pre-dump"));
            answers.Add(await peer.NotifyAsync("post-dump"));
            // CRIU resumes the tree and unlocks its network on the way out.
            answers.Add(await peer.NotifyAsync("network-unlock"));
            await peer.SendAsync(new CriuResp { Type = CriuReqType.Dump, Success = false, CrErrno = 0 });
        });
        using var criu = fake.CreateCriu();
        var handlerError = new InvalidOperationException("destination refused");
        var unlocked = false;
        var notify = new Mock<CriuNotifyBase> { CallBase = true };
        notify.Setup(n => n.PostDumpAsync()).ThrowsAsync(handlerError);
        notify.Setup(n => n.NetworkUnlockAsync()).Callback(() => unlocked = true).Returns(Task.CompletedTask);

        var error = await Assert.ThrowsAsync<CriuException>(() => criu.DumpAsync(_fds.Opts(), notify.Object, Ct).WithDeadline());
        await fake.ScriptsCompletedAsync();

        Assert.Equal([true, false, true], answers);
        Assert.Same(handlerError, error.InnerException);
        Assert.Equal(CriuReqType.Dump, error.RequestType);
        Assert.Contains("post-dump", error.Message, StringComparison.Ordinal);
        Assert.True(unlocked, "handlers after a failed one still run: they may undo what it did");
    }

    [Fact]
    public async Task ThrowingHandler_WhenCriuSucceedsAnyway_StillThrows()
    {
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            await peer.ExpectAsync(CriuReqType.Restore);
            Assert.False(await peer.NotifyAsync("post-resume"));
            await peer.SendAsync(new CriuResp { Type = CriuReqType.Restore, Success = true, Restore = new CriuRestoreResp { Pid = 8 } });
        });
        using var criu = fake.CreateCriu();
        var notify = new Mock<CriuNotifyBase> { CallBase = true };
        notify.Setup(n => n.PostResumeAsync()).ThrowsAsync(new TimeoutException("late"));

        var error = await Assert.ThrowsAsync<CriuException>(() => criu.RestoreAsync(_fds.Opts(), notify.Object, Ct).WithDeadline());
        await fake.ScriptsCompletedAsync();

        Assert.IsType<TimeoutException>(error.InnerException);
        Assert.Contains("completed the request", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _fds.Dispose();
}
