using System.Net;
using System.Net.Sockets;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// Opens the source's connections to one destination: TCP, the greeting, TLS (unless both ends chose
/// --insecure-plaintext), and the key's proof bound to the TLS channel, all within one handshake deadline.
/// </summary>
internal sealed class TransportConnector(EndPoint destination, PreSharedKey key, bool plaintext, TransportTimeouts timeouts)
{
    public EndPoint Destination => destination;

    /// <summary>Connects and authenticates one connection.</summary>
    /// <param name="kind">What the connection carries.</param>
    /// <param name="sessionId">The session it joins; empty for the control connection.</param>
    /// <param name="cancellationToken">Abandons connecting.</param>
    /// <exception cref="TransportException">
    /// Unreachable, refused, another protocol version, or no handshake within the deadline; in
    /// <see cref="TransportPhase.Authentication"/> when one side could not prove it holds the key.
    /// </exception>
    public async Task<TransportConnection> ConnectAsync(Channel kind, byte[] sessionId, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeouts.Handshake);
        var socket = await OpenAsync(deadline.Token, cancellationToken).ConfigureAwait(false);
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            await GreetAsync(stream, deadline.Token).ConfigureAwait(false);
            var binding = Array.Empty<byte>();
            CoalescingSocketStream? underTls = null;
            if (!plaintext)
            {
                underTls = new CoalescingSocketStream(stream);
                (stream, binding) = await TransportTls.AuthenticateAsSourceAsync(underTls, deadline.Token).ConfigureAwait(false);
            }
            var channel = new FrameChannel(stream, TransportSide.Destination, destination.ToString()!);
            var confirmed = await ClientHandshake.RunAsync(channel, key, kind, sessionId, binding, timeouts.Handshake, deadline.Token)
                                                 .ConfigureAwait(false);
            return new TransportConnection(socket, stream, channel, confirmed, underTls);
        }
        catch (Exception e) when (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            await DiscardAsync(stream, socket).ConfigureAwait(false);
            throw Failure(TransportPhase.Handshake, $"the handshake with {destination} did not complete within {timeouts.Handshake.TotalSeconds:0.###} s", e);
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException)
        {
            await DiscardAsync(stream, socket).ConfigureAwait(false);
            throw Failure(TransportPhase.Handshake, $"the TLS handshake with {destination} failed: {e.Message}", e);
        }
        catch
        {
            await DiscardAsync(stream, socket).ConfigureAwait(false);
            throw;
        }
    }

    private async Task GreetAsync(Stream stream, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(ConnectionGreeting.SourceLine(plaintext), cancellationToken).ConfigureAwait(false);
        string? answer;
        try
        {
            answer = await ConnectionGreeting.ReadLineAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw Failure(TransportPhase.Handshake, $"the peer at {destination} is not a Phaul destination: {e.Message}", e);
        }
        if (ConnectionGreeting.CheckDestinationLine(answer) is { } refusal)
            throw Failure(TransportPhase.Handshake, refusal);
    }

    private async Task<Socket> OpenAsync(CancellationToken deadline, CancellationToken cancellationToken)
    {
        var socket = destination.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            ? new Socket(destination.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(destination, deadline).ConfigureAwait(false);
            SocketSetup.Configure(socket);
            return socket;
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            socket.Dispose();
            var reason = e is SocketException socketError
                ? $"cannot connect to {destination}: {socketError.Message}"
                : $"cannot connect to {destination} within {timeouts.Handshake.TotalSeconds:0.###} s";
            throw new TransportException(TransportSide.Destination, TransportPhase.Connect, reason, endPoint: destination.ToString(), innerException: e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private TransportException Failure(TransportPhase phase, string reason, Exception? inner = null) =>
        new(TransportSide.Destination, phase, reason, endPoint: destination.ToString(), innerException: inner);

    private static async Task DiscardAsync(Stream stream, Socket socket)
    {
        await stream.DisposeAsync().ConfigureAwait(false);
        socket.Dispose();
    }
}
