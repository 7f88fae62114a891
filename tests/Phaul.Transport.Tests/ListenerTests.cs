using System.Net;
using System.Net.Sockets;
using Phaul.Transport.Protocol;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

public class ListenerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_source_with_the_key_gets_one_session_with_a_memory_socket_ready_for_CRIU()
    {
        await using var destination = new FakeDestination(TestKeys.Shared);
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);

        var target = await WaitForTargetAsync(destination);
        Assert.Equal(32, connection.SessionId.Length);
        Assert.StartsWith(destination.Wdir.Path + "/", target.Config.Wdir);
        Assert.EndsWith(connection.SessionId[..8], target.Config.Wdir);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(target.Config.Wdir));
        // CRIU reads and writes these fds itself and needs them blocking.
        Assert.False(FdInfo.IsNonBlocking(connection.Memfd));
        Assert.False(FdInfo.IsNonBlocking(target.Config.Memfd));
        // And they are the two ends of one connection: what the source's CRIU writes, the page server reads.
        using var sourceEnd = new Socket(new SafeSocketHandle(connection.Memfd, ownsHandle: false));
        using var destinationEnd = new Socket(new SafeSocketHandle(target.Config.Memfd, ownsHandle: false));
        sourceEnd.Send("pages"u8);
        var received = new byte[5];
        using (var reader = new NetworkStream(destinationEnd, ownsSocket: false))
            reader.ReadExactly(received);
        Assert.Equal("pages"u8.ToArray(), received);
    }

    [Fact]
    public async Task StartIter_and_StopIter_reach_the_destinations_server()
    {
        await using var destination = new FakeDestination(TestKeys.Shared);
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);

        await connection.Remote.StartIterAsync(Ct);
        await connection.Remote.StopIterAsync(Ct);
        await connection.Remote.StartIterAsync(Ct);

        var target = await WaitForTargetAsync(destination);
        Assert.Equal(["StartIter", "StopIter", "StartIter"], target.Calls);
        Assert.Equal(Path.Combine(target.Config.Wdir, "1"), target.LastImagesDir);
    }

    [Fact]
    public async Task A_failed_StartIter_on_the_destination_names_the_side_the_step_and_the_iteration()
    {
        // Failure handled: the destination's CRIU cannot start a page server.
        await using var destination = new FakeDestination(TestKeys.Shared);
        destination.Configure = target => target.StartFailure = new InvalidOperationException("page server would not start");
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);

        var error = await Assert.ThrowsAsync<TransportException>(() => connection.Remote.StartIterAsync(Ct));

        Assert.Equal((TransportSide.Destination, TransportPhase.StartIteration, (int?)0), (error.Side, error.Phase, error.Iteration));
        Assert.Contains("page server would not start", error.Message);
    }

    [Fact]
    public async Task A_failed_StopIter_on_the_destination_is_reported_to_the_source()
    {
        // Failure handled: the destination's page server failed while receiving pages.
        await using var destination = new FakeDestination(TestKeys.Shared);
        destination.Configure = target => target.StopFailure = new IOException("page server exited with 1");
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);
        await connection.Remote.StartIterAsync(Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() => connection.Remote.StopIterAsync(Ct));

        Assert.Equal((TransportSide.Destination, TransportPhase.StopIteration), (error.Side, error.Phase));
        Assert.Contains("page server exited with 1", error.Message);
    }

    [Fact]
    public async Task A_destination_that_does_not_answer_in_time_leaves_the_connection_unusable()
    {
        // Failure handled: a hung destination; its late answer must never pass for the answer to a later request.
        var never = new TaskCompletionSource();
        await using var destination = new FakeDestination(TestKeys.Shared);
        destination.Configure = target => target.StartDelay = never.Task;
        var options = new MigrationConnectionOptions { ReplyTimeout = TimeSpan.FromMilliseconds(300) };
        await using var connection = await destination.ConnectAsync(TestKeys.Shared, options);

        var late = await Assert.ThrowsAsync<TransportException>(() => connection.Remote.StartIterAsync(Ct));
        never.SetResult();
        var next = await Assert.ThrowsAsync<TransportException>(() => connection.Remote.StartIterAsync(Ct));

        Assert.Equal((TransportSide.Destination, TransportPhase.StartIteration, (int?)0), (late.Side, late.Phase, late.Iteration));
        Assert.Contains("no message from the destination within 0.3 s", late.Message);
        Assert.Contains("the control connection is unusable since an earlier step failed", next.Message);
        Assert.Same(late, next.InnerException);
    }

    [Fact]
    public async Task A_source_with_the_wrong_key_is_refused_and_no_session_starts()
    {
        // Failure handled: mismatched key files; the destination must not run anything for this peer.
        await using var destination = new FakeDestination(TestKeys.Shared);

        var error = await Assert.ThrowsAsync<TransportException>(() => destination.ConnectAsync(TestKeys.Other));

        Assert.Equal(TransportPhase.Authentication, error.Phase);
        Assert.True(error.FailedOnDestination);
        Assert.Empty(destination.Targets);
        Assert.Empty(Directory.GetFileSystemEntries(destination.Wdir.Path));
        Assert.False(destination.SessionEnded.IsCompleted);
    }

    [Fact]
    public async Task A_memory_connection_for_an_unknown_session_is_refused()
    {
        // Failure handled: an authenticated peer trying to attach a socket to a session that is not waiting.
        await using var destination = new FakeDestination(TestKeys.Shared);
        var connector = new TransportConnector(destination.Listener.LocalEndPoint, TestKeys.Shared, false, TransportTimeouts.Default);

        var error = await Assert.ThrowsAsync<TransportException>(() =>
            connector.ConnectAsync(Channel.Memory, new byte[TransportProtocol.SessionIdLength], Ct));

        Assert.Equal(TransportPhase.Authentication, error.Phase);
        Assert.Contains("no session is waiting for a memory connection", error.Message);
        Assert.Empty(destination.Targets);
    }

    [Fact]
    public async Task A_source_that_leaves_before_the_restore_ends_its_session_as_failed()
    {
        // Failure handled: the source crashed or gave up mid-migration; the session's page server must go.
        await using var destination = new FakeDestination(TestKeys.Shared);
        var connection = await destination.ConnectAsync(TestKeys.Shared);
        await connection.Remote.StartIterAsync(Ct);

        await connection.DisposeAsync();

        var ended = await destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.Equal(connection.SessionId, ended.SessionId);
        Assert.Null(ended.RestoredPid);
        Assert.Contains("closed the connection before the tree was restored", ended.Error!.Message);
        Assert.True((await WaitForTargetAsync(destination)).Disposed);
    }

    [Fact]
    public async Task A_source_whose_memory_connection_never_comes_is_dropped()
    {
        // Failure handled: a source that authenticated its control connection but never opens the memory one.
        await using var destination = new FakeDestination(TestKeys.Shared, configure: options => options with { HandshakeTimeout = TimeSpan.FromMilliseconds(300) });
        await using var control = await ConnectControlAsync(destination);

        var abort = await control.Channel.ReceiveAnyAsync(TransportPhase.Handshake, Patience, CancellationToken.None);
        Assert.Contains("memory connection did not join within 0.3 s", abort.Abort.Reason);
        control.Socket.Shutdown(SocketShutdown.Send);

        var ended = await destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.Contains("memory connection did not join within 0.3 s", ended.Error!.Message);
        Assert.Empty(destination.Targets);
    }

    [Fact]
    public async Task A_source_that_closes_its_control_connection_before_its_memory_one_joins_frees_its_session_at_once()
    {
        // Failure handled: a source gives up after authenticating its control connection (its memory connection
        // was refused at the connection limit); the session held a slot until the handshake timeout, and retrying
        // sources kept the destination full.
        // A handshake timeout far beyond the test's patience: only noticing the closed connection ends the session in time.
        await using var destination = new FakeDestination(TestKeys.Shared, configure: options => options with { HandshakeTimeout = TimeSpan.FromMinutes(5) });
        var control = await ConnectControlAsync(destination);

        await control.DisposeAsync();

        var ended = await destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.Contains("closed its control connection before its memory connection joined", ended.Error!.Message);
        Assert.Empty(destination.Targets);
    }

    [Fact]
    public async Task Disposing_the_listener_ends_running_sessions_and_tells_their_sources()
    {
        // Failure handled: the destination service is stopped (Ctrl-C) in the middle of a migration.
        var destination = new FakeDestination(TestKeys.Shared);
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);
        await connection.Remote.StartIterAsync(Ct);

        await destination.DisposeAsync();

        var ended = await destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.IsAssignableFrom<OperationCanceledException>(ended.Error);
        Assert.True(destination.Targets.Single().Disposed);
        var error = await Assert.ThrowsAsync<TransportException>(() => connection.Remote.StopIterAsync(Ct));
        Assert.Contains("the destination service is shutting down", error.Message);
        var refused = await Assert.ThrowsAsync<TransportException>(() =>
            MigrationConnection.ConnectAsync(destination.Listener.LocalEndPoint, TestKeys.Shared, cancellationToken: Ct));
        Assert.Equal(TransportPhase.Connect, refused.Phase);
    }

    [Fact]
    public async Task Connecting_where_nothing_listens_names_the_destination_and_the_step()
    {
        // Failure handled: wrong address or the destination service is not running.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var unused = (IPEndPoint)probe.LocalEndPoint!;

        var error = await Assert.ThrowsAsync<TransportException>(() => MigrationConnection.ConnectAsync(unused, TestKeys.Shared, cancellationToken: Ct));

        Assert.Equal((TransportSide.Destination, TransportPhase.Connect), (error.Side, error.Phase));
        Assert.Contains($"cannot connect to {unused}", error.Message);
    }

    [Fact]
    public void The_listener_refuses_a_Wdir_that_does_not_exist_naming_it()
    {
        var options = new MigrationListenerOptions { Wdir = "/nonexistent/phaul", Key = TestKeys.Shared };
        var error = Assert.Throws<ArgumentException>(() => MigrationListener.Start(options));
        Assert.Equal("Wdir", error.ParamName);
        Assert.Contains("/nonexistent/phaul", error.Message);
    }

    [Fact]
    public void The_listener_refuses_a_limit_that_is_not_positive_naming_it()
    {
        var options = new MigrationListenerOptions { Wdir = "/", Key = TestKeys.Shared, MaxImageBytesPerSession = 0 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => MigrationListener.Start(options));
        Assert.Equal("MaxImageBytesPerSession", error.ParamName);
        Assert.StartsWith("MigrationListenerOptions.MaxImageBytesPerSession must be positive.", error.Message);
    }

    [Fact]
    public void The_listener_refuses_a_timeout_that_is_neither_positive_nor_infinite_naming_it()
    {
        var options = new MigrationListenerOptions { Wdir = "/", Key = TestKeys.Shared, RequestTimeout = TimeSpan.FromSeconds(-1) };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => MigrationListener.Start(options));
        Assert.Equal("RequestTimeout", error.ParamName);
        Assert.StartsWith("MigrationListenerOptions.RequestTimeout must be positive (or infinite).", error.Message);
    }

    [Fact]
    public async Task A_source_refuses_a_timeout_that_is_neither_positive_nor_infinite_naming_it()
    {
        var options = new MigrationConnectionOptions { ReplyTimeout = TimeSpan.Zero };
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            MigrationConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, MigrationListenerOptions.DefaultPort), TestKeys.Shared, options,
                                             cancellationToken: Ct));
        Assert.Equal("ReplyTimeout", error.ParamName);
        Assert.StartsWith("MigrationConnectionOptions.ReplyTimeout must be positive (or infinite).", error.Message);
    }

    [Fact]
    public void The_listener_binds_to_loopback_unless_told_otherwise()
    {
        var options = new MigrationListenerOptions { Wdir = "/", Key = TestKeys.Shared };
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, MigrationListenerOptions.DefaultPort), options.EndPoint);
    }

    private static async Task<FakeTarget> WaitForTargetAsync(FakeDestination destination)
    {
        // The destination creates the session's server right after the memory connection joined,
        // which the source sees before the destination's session task gets there.
        var deadline = DateTime.UtcNow + Patience;
        while (destination.Targets.IsEmpty)
        {
            Assert.True(DateTime.UtcNow < deadline, "the destination created no session server");
            await Task.Delay(10, Ct);
        }
        return destination.Targets.Single();
    }

    // The control connection alone, authenticated as MigrationConnection opens it, without its memory connection.
    private static async Task<TransportConnection> ConnectControlAsync(FakeDestination destination)
    {
        var connector = new TransportConnector(destination.Listener.LocalEndPoint, TestKeys.Shared, false, TransportTimeouts.Default);
        var control = await connector.ConnectAsync(Channel.Control, [], Ct);
        control.Channel.MaxFrameLength = FrameCodec.MaxFrameLength;
        return control;
    }
}
