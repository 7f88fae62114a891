using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// Asks the destination, over a new authenticated connection, how a session's hand-over ended, when the answer to the
/// commit was lost (a link that came back, a control connection that broke). The destination's answer is final.
/// </summary>
internal sealed class HandOverResolver(TransportConnector connector, byte[] sessionId, TransportTimeouts timeouts, ILogger logger)
{
    // Between attempts while the destination cannot be reached.
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>Whether the destination resumed its copy; null when no answer came within <see cref="TransportTimeouts.HandOver"/>.</summary>
    public async Task<bool?> TryResolveAsync()
    {
        var deadline = DateTime.UtcNow + timeouts.HandOver;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var resumed = await AskAsync(deadline - DateTime.UtcNow).ConfigureAwait(false);
                logger.HandOverResolved(resumed, attempt);
                return resumed;
            }
            catch (Exception e) when (e is TransportException or SocketException or IOException or OperationCanceledException)
            {
                logger.HandOverQueryFailed(attempt, e.Message);
            }
            if (DateTime.UtcNow + RetryDelay >= deadline)
                return null;
            await Task.Delay(RetryDelay).ConfigureAwait(false);
        }
    }

    private async Task<bool> AskAsync(TimeSpan remaining)
    {
        using var deadline = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1));
        var connection = await connector.ConnectAsync(Channel.HandOverQuery, sessionId, deadline.Token).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var outcome = await connection.Channel.ReceiveAsync(Envelope.BodyOneofCase.HandOverOutcome, TransportPhase.HandOver, timeouts.Handshake,
                                                                deadline.Token).ConfigureAwait(false);
            return outcome.HandOverOutcome.Resumed;
        }
    }
}
