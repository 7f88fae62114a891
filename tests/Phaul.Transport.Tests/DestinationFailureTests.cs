using System.Net.Sockets;
using Phaul.Rpc;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

/// <summary>Failures on the destination reach the source at once, and failed or crashed sessions do not fill its disk.</summary>
public class DestinationFailureTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // unencrypted memory goes through the relay too (MemoryLink): the cut must cross it the same way
    public async Task A_page_server_that_dies_mid_iteration_ends_the_session_and_fails_the_sources_writes_at_once(bool plaintext)
    {
        // Failure handled: the destination's page server dies (ENOSPC, a crash) while the source's CRIU sends pages. The
        // source must not stay frozen until TCP gives up (33 s seen): its memory connection is shut down, so its CRIU's
        // next write fails, and the control connection carries the reason.
        await using var destination = new FakeDestination(TestKeys.Shared, configure: options => options with { InsecurePlaintext = plaintext });
        var connection = await destination.ConnectAsync(TestKeys.Shared, new MigrationConnectionOptions { InsecurePlaintext = plaintext });
        await connection.Remote.StartIterAsync(Ct);
        var target = destination.Targets.Single();

        target.PageServerEnded.SetResult(new CriuException(CriuReqType.PageServerChld, "page server pid 99 of iteration 0 failed: No space left on device"));

        using (var sourceEnd = new Socket(new SafeSocketHandle(connection.Memfd, ownsHandle: false)))
        {
            // The first write may still be accepted into the socket buffer; the peer's reset fails a later one.
            var write = await FirstFailedSendAsync(sourceEnd);
            Assert.True(write is SocketError.Shutdown or SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Disconnecting,
                        $"send failed with {write}");
        }
        var error = await Assert.ThrowsAsync<TransportException>(() => connection.Remote.StopIterAsync(Ct));
        Assert.Contains("No space left on device", error.Message);
        await connection.DisposeAsync(); // the destination drains the control connection after its abort until the source closes it
        var ended = await destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.Equal((TransportSide.Destination, TransportPhase.FinalDump), (((TransportException)ended.Error!).Side, ((TransportException)ended.Error).Phase));
        Assert.Contains("page server pid 99 of iteration 0 failed: No space left on device", ended.Error.Message);
    }

    [Fact]
    public async Task A_page_server_that_ends_well_changes_nothing()
    {
        await using var destination = new FakeDestination(TestKeys.Shared);
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);
        await connection.Remote.StartIterAsync(Ct);

        destination.Targets.Single().PageServerEnded.SetResult(null);
        await connection.Remote.StopIterAsync(Ct);
        await connection.Remote.StartIterAsync(Ct);

        Assert.Equal(["StartIter", "StopIter", "StartIter"], destination.Targets.Single().Calls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_failed_session_removes_its_image_files_and_keeps_its_logs_unless_told_to_keep_them(bool keepFailed)
    {
        // Failure handled: 25 failed sessions left 971 MB of pages behind, and a full disk failed every later migration.
        await using var destination = new FakeDestination(TestKeys.Shared, keepFailed: keepFailed);
        await using (var connection = await destination.ConnectAsync(TestKeys.Shared))
        {
            await connection.Remote.StartIterAsync(Ct);
            var directory = destination.Targets.Single().LastImagesDir;
            await File.WriteAllBytesAsync(Path.Combine(directory, "pages-1.img"), new byte[4096], Ct);
            await File.WriteAllTextAsync(Path.Combine(directory, "page-server-0.log"), "Error: No space left on device", Ct);
        }

        var ended = await destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.NotNull(ended.Error);
        var left = Directory.GetFiles(ended.Directory, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(keepFailed ? ["page-server-0.log", "pages-1.img", "session-ended"] : ["page-server-0.log", "session-ended"], left);
    }

    [Fact]
    public async Task A_new_listener_removes_the_images_a_crashed_service_left_and_keeps_everything_else()
    {
        // Failure handled: kill -9 of phaul serve mid-session leaves the session's pages on disk with nobody to remove them.
        using var wdir = new TempDirectory();
        var crashed = Directory.CreateDirectory(Path.Combine(wdir.Path, "20261203T170000-deadbeef", "0")).Parent!.FullName;
        await File.WriteAllBytesAsync(Path.Combine(crashed, "0", "pages-1.img"), new byte[4096], Ct);
        await File.WriteAllTextAsync(Path.Combine(crashed, "0", "page-server-0.log"), "log", Ct);
        var kept = Directory.CreateDirectory(Path.Combine(wdir.Path, "20261203T160000-cafebabe")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(kept, "pages-1.img"), new byte[4096], Ct);
        await File.WriteAllTextAsync(Path.Combine(kept, SessionDirectories.EndedMarker), "", Ct);

        await using (new FakeDestination(TestKeys.Shared, wdir: wdir.Path))
        {
        }

        Assert.Equal(["page-server-0.log", SessionDirectories.EndedMarker],
                     Directory.GetFiles(crashed, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(Path.Combine(kept, "pages-1.img")), "an ended session's kept images were removed");
    }

    private static async Task<SocketError?> FirstFailedSendAsync(Socket socket)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                socket.Send(new byte[64 * 1024]);
            }
            catch (SocketException e)
            {
                return e.SocketErrorCode;
            }
            await Task.Delay(10, Ct);
        }
        return null;
    }
}
