using System.Net;
using System.Net.Sockets;
using Phaul.Cli.Commands;
using Phaul.Cli.Tests.Support;
using Phaul.Transport;

namespace Phaul.Cli.Tests.Commands;

public class ServeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Serve_listens_until_cancelled_then_ends_normally()
    {
        using var dir = new TempDirectory();
        PreSharedKey.GenerateFile(dir.File("key"));
        var wdir = dir.File("sessions");
        var stdout = new StringWriter();
        using var stop = new CancellationTokenSource();
        var options = new ServeOptions(new IPEndPoint(IPAddress.Loopback, 0), wdir, dir.File("key"), null, false);

        var serving = ServeCommand.RunAsync(options, stdout, TextWriter.Null, stop.Token);
        var listening = await Poll.UntilAsync(() => ListeningLine(stdout), Patience, "serve to listen", TestContext.Current.CancellationToken);
        using (var probe = new TcpClient())
            await probe.ConnectAsync(ListeningEndPoint(listening), TestContext.Current.CancellationToken);
        await stop.CancelAsync();

        Assert.Equal(ExitCode.Success, await serving.WaitAsync(Patience, TestContext.Current.CancellationToken));
        Assert.StartsWith("phaul serve: listening on 127.0.0.1:", listening, StringComparison.Ordinal);
        Assert.Contains("phaul serve: stopping", stdout.ToString(), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(wdir));
    }

    [Fact]
    public async Task With_json_serve_prints_one_event_per_line_a_script_can_follow()
    {
        // Failure handled too: a source that leaves before the restore is reported as a failed session.
        using var dir = new TempDirectory();
        var key = PreSharedKey.GenerateFile(dir.File("key"));
        var stdout = new StringWriter();
        using var stop = new CancellationTokenSource();
        var options = new ServeOptions(new IPEndPoint(IPAddress.Loopback, 0), dir.File("sessions"), dir.File("key"), null, false, Json: true);

        var serving = ServeCommand.RunAsync(options, stdout, TextWriter.Null, stop.Token);
        var listening = (await Poll.UntilAsync(() => Events(stdout) is { Count: >= 1 } seen ? seen : null, Patience, "serve to listen",
                                               TestContext.Current.CancellationToken))[0];
        var endPoint = IPEndPoint.Parse(listening.GetProperty("endPoint").GetString()!);
        await (await MigrationConnection.ConnectAsync(endPoint, key, cancellationToken: TestContext.Current.CancellationToken)).DisposeAsync();
        var session = (await Poll.UntilAsync(() => Events(stdout) is { Count: >= 2 } seen ? seen : null, Patience, "the session's end",
                                             TestContext.Current.CancellationToken))[1];
        await stop.CancelAsync();
        await serving.WaitAsync(Patience, TestContext.Current.CancellationToken);

        var events = Events(stdout);
        Assert.Equal(["listening", "session", "stopping"], events.Select(e => e.GetProperty("event").GetString()));
        Assert.All(events, e => Assert.Equal(ServeOutput.SchemaVersion, e.GetProperty("schemaVersion").GetInt32()));
        Assert.Equal("failed", session.GetProperty("outcome").GetString());
        // The source may leave while the destination still finishes its side of the handshake, or just after it.
        var error = session.GetProperty("error").GetString()!;
        Assert.True(error.Contains("before the tree was restored", StringComparison.Ordinal) ||
                    error.StartsWith("Source Handshake failed", StringComparison.Ordinal), error);
    }

    [Fact]
    public async Task A_source_that_stays_silent_is_dropped_after_the_handshake_timeout_given()
    {
        // Failure handled: a peer that connects and never authenticates holds nothing longer than --handshake-timeout (1 s
        // here; the default is 10 s).
        using var dir = new TempDirectory();
        PreSharedKey.GenerateFile(dir.File("key"));
        var stdout = new StringWriter();
        using var stop = new CancellationTokenSource();
        var options = new ServeOptions(new IPEndPoint(IPAddress.Loopback, 0), dir.File("sessions"), dir.File("key"), null, false,
                                       HandshakeTimeout: TimeSpan.FromSeconds(1));

        var serving = ServeCommand.RunAsync(options, stdout, TextWriter.Null, stop.Token);
        var listening = await Poll.UntilAsync(() => ListeningLine(stdout), Patience, "serve to listen", TestContext.Current.CancellationToken);
        using var silent = new TcpClient();
        await silent.ConnectAsync(ListeningEndPoint(listening), TestContext.Current.CancellationToken);
        var read = silent.GetStream().ReadAsync(new byte[1], TestContext.Current.CancellationToken).AsTask();

        var closedWithin = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(6), TestContext.Current.CancellationToken));
        Assert.True(closedWithin == read, "serve still held the silent connection after 6 s");
        Assert.Equal(0, await read);
        await stop.CancelAsync();
        await serving.WaitAsync(Patience, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task An_address_in_use_fails_with_the_address_named()
    {
        // Failure handled: another service holds the port.
        using var dir = new TempDirectory();
        PreSharedKey.GenerateFile(dir.File("key"));
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var endPoint = (IPEndPoint)taken.LocalEndpoint;
        var stderr = new StringWriter();

        var result = await ServeCommand.RunAsync(new ServeOptions(endPoint, dir.File("w"), dir.File("key"), null, false),
                                                 TextWriter.Null, stderr, TestContext.Current.CancellationToken);

        Assert.Equal(ExitCode.Failed, result);
        Assert.Contains($"phaul serve: cannot listen on {endPoint}:", stderr.ToString(), StringComparison.Ordinal);
    }

    private static List<System.Text.Json.JsonElement> Events(StringWriter stdout) =>
        [.. stdout.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)
                  .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.Clone())];

    private static string? ListeningLine(StringWriter stdout) =>
        stdout.ToString().Split(Environment.NewLine).FirstOrDefault(line => line.StartsWith("phaul serve: listening on", StringComparison.Ordinal));

    private static IPEndPoint ListeningEndPoint(string line) =>
        IPEndPoint.Parse(line["phaul serve: listening on ".Length..line.IndexOf(',', StringComparison.Ordinal)]);
}
