using Google.Protobuf;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>The source's end of the destination's extensions (<see cref="IDestinationExtension"/>), over the control connection.</summary>
internal sealed class ExtensionClient(SourceControl control)
{
    // The longest error text of the destination's shown to the source's caller.
    private const int MaxErrorLength = 4000;

    private uint _lastStreamId;

    /// <summary>Sends a request to the extension <paramref name="name"/> and returns its answer.</summary>
    /// <exception cref="TransportException">The destination refused the request or its handler failed (the message says why), or the connection failed.</exception>
    public async Task<byte[]> RequestAsync(string name, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var envelope = new Envelope { ExtensionRequest = new ExtensionRequest { Name = name, Payload = ByteString.CopyFrom(request.Span) } };
        var answer = await control.RequestAsync(envelope, Envelope.BodyOneofCase.ExtensionResult, TransportPhase.Extension,
                                                control.CurrentIteration, cancellationToken).ConfigureAwait(false);
        ThrowIfFailed(answer.ExtensionResult);
        return answer.ExtensionResult.Payload.ToByteArray();
    }

    /// <summary>Opens a stream to the extension <paramref name="name"/>; the connection is its alone until the stream is disposed.</summary>
    /// <exception cref="TransportException">The destination refused the stream (the message says why), or the connection failed.</exception>
    public async Task<Stream> OpenStreamAsync(string name, ReadOnlyMemory<byte> header, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var hold = await control.AcquireAsync(cancellationToken).ConfigureAwait(false);
        var id = ++_lastStreamId;
        ExtensionResult result;
        try
        {
            var open = new ExtensionStreamOpen { StreamId = id, Name = name, Header = ByteString.CopyFrom(header.Span) };
            await control.Channel.SendAsync(new Envelope { ExtensionStreamOpen = open }, TransportPhase.Extension, cancellationToken,
                                            control.CurrentIteration).ConfigureAwait(false);
            var answer = await control.Channel.ReceiveAsync(Envelope.BodyOneofCase.ExtensionResult, TransportPhase.Extension, control.Timeouts.Reply,
                                                            cancellationToken, control.CurrentIteration).ConfigureAwait(false);
            result = answer.ExtensionResult;
        }
        catch (Exception e)
        {
            hold.Break(e);
            hold.Dispose();
            throw;
        }
        if (!result.Ok)
        {
            // A refusal leaves the connection in step.
            hold.Dispose();
            throw Refusal(control, result.Error);
        }
        return new SourceExtensionStream(control, hold, id);
    }

    private void ThrowIfFailed(ExtensionResult result)
    {
        if (!result.Ok)
            throw Refusal(control, result.Error);
    }

    /// <summary>The exception for what the destination's extension (or the destination, for an unknown name) said went wrong.</summary>
    public static TransportException Refusal(SourceControl control, string error) =>
        control.Channel.Failure(TransportPhase.Extension, PeerText.Escape(error, MaxErrorLength), control.CurrentIteration);
}
