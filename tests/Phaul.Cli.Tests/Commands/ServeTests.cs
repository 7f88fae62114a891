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
        KeyFile.Generate(dir.File("key"));
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
    public async Task An_address_in_use_fails_with_the_address_named()
    {
        // Failure handled: another service holds the port.
        using var dir = new TempDirectory();
        KeyFile.Generate(dir.File("key"));
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var endPoint = (IPEndPoint)taken.LocalEndpoint;
        var stderr = new StringWriter();

        var result = await ServeCommand.RunAsync(new ServeOptions(endPoint, dir.File("w"), dir.File("key"), null, false),
                                                 TextWriter.Null, stderr, TestContext.Current.CancellationToken);

        Assert.Equal(ExitCode.Failed, result);
        Assert.Contains($"phaul serve: cannot listen on {endPoint}:", stderr.ToString(), StringComparison.Ordinal);
    }

    private static string? ListeningLine(StringWriter stdout) =>
        stdout.ToString().Split(Environment.NewLine).FirstOrDefault(line => line.StartsWith("phaul serve: listening on", StringComparison.Ordinal));

    private static IPEndPoint ListeningEndPoint(string line) =>
        IPEndPoint.Parse(line["phaul serve: listening on ".Length..line.IndexOf(',', StringComparison.Ordinal)]);
}
