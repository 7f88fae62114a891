using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Phaul.Cli.Tests.Support;

/// <summary>
/// A TCP client in a network namespace, outside any migrated tree: bash holding one connection (<c>/dev/tcp</c>) for
/// its whole life, sending a line per <see cref="AskAsync"/> and returning the server's one-line answer. If the
/// connection breaks, bash exits and the next answer fails, so one client proves one connection.
/// </summary>
internal sealed class LineClient : IDisposable
{
    private const string Script =
        "exec 3<>\"/dev/tcp/$1/$2\" || exit 1; while read -r line; do echo \"$line\" >&3 || exit 1; read -r reply <&3 || exit 1; echo \"$reply\"; done";

    private readonly Process _bash;

    private LineClient(Process bash) => _bash = bash;

    public static LineClient Connect(string netns, IPAddress address, int port)
    {
        var start = new ProcessStartInfo("nsenter", [$"--net=/run/netns/{netns}", "bash", "-c", Script, "line-client", $"{address}",
                                                     port.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        return new LineClient(Process.Start(start) ?? throw new InvalidOperationException("could not start the TCP client"));
    }

    /// <summary>Sends a line and returns the server's answer as a number.</summary>
    /// <exception cref="InvalidOperationException">The connection broke (the client exited), naming why.</exception>
    public async Task<long> AskAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _bash.StandardInput.WriteLineAsync("next".AsMemory(), cancellationToken);
        await _bash.StandardInput.FlushAsync(cancellationToken);
        var reply = await _bash.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(timeout, cancellationToken);
        if (reply is null)
            throw new InvalidOperationException($"the client's connection broke: {await _bash.StandardError.ReadToEndAsync(cancellationToken)}");
        return long.Parse(reply, CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        if (!_bash.HasExited)
            _bash.Kill(entireProcessTree: true);
        _bash.WaitForExit();
        _bash.Dispose();
    }
}
