using Google.Protobuf;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

internal sealed partial class DestinationSession
{
    // An extension's answer fits one frame with room for the envelope.
    private const int MaxExtensionAnswerBytes = FrameCodec.MaxFrameLength - 4096;

    // The session's extensions, created on their first use; the source chooses which, among those registered.
    private readonly Dictionary<string, IDestinationExtension> _extensions = new(StringComparer.Ordinal);

    private async Task<ExtensionResult> HandleExtensionRequestAsync(ExtensionRequest request, CancellationToken cancellationToken)
    {
        try
        {
            if (ExtensionNamed(request.Name) is not { } extension)
                return UnknownExtension(request.Name);
            var answer = await extension.HandleRequestAsync(request.Payload.Memory, cancellationToken).ConfigureAwait(false);
            if (answer.Length > MaxExtensionAnswerBytes)
                return ExtensionFailed(request.Name, $"the extension's answer of {answer.Length} bytes exceeds the limit of {MaxExtensionAnswerBytes}");
            return new ExtensionResult { Ok = true, Payload = ByteString.CopyFrom(answer) };
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return ExtensionFailed(request.Name, e.Message);
        }
    }

    /// <summary>
    /// One stream: the extension's handler runs while the source's messages of the stream are received, until the source
    /// closes it after the handler's end. A failure of the handler becomes the end's error; a failure of the connection
    /// ends the session.
    /// </summary>
    private async Task ServeExtensionStreamAsync(ExtensionStreamOpen open, CancellationToken cancellationToken)
    {
        IDestinationExtension? extension;
        try
        {
            extension = ExtensionNamed(open.Name);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            await SendExtensionAsync(new Envelope { ExtensionResult = ExtensionFailed(open.Name, e.Message) }, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (extension is null)
        {
            await SendExtensionAsync(new Envelope { ExtensionResult = UnknownExtension(open.Name) }, cancellationToken).ConfigureAwait(false);
            return;
        }
        await SendExtensionAsync(new Envelope { ExtensionResult = new ExtensionResult { Ok = true } }, cancellationToken).ConfigureAwait(false);

        var stream = new DestinationExtensionStream(_channel, open.StreamId, OpenIteration, _options.Timeouts.Request);
        using var handling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pump = stream.PumpAsync(handling, cancellationToken);
        var error = "";
        try
        {
            await extension.HandleStreamAsync(open.Header.Memory, stream, handling.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The handler's failure goes to the source; the connection's is the pump's to throw.
        catch (Exception e)
#pragma warning restore CA1031
        {
            if (stream.Failure is null && !cancellationToken.IsCancellationRequested)
                error = ExtensionFailed(open.Name, e.Message).Error;
        }
        stream.EndInput();
        if (stream.Failure is null && !cancellationToken.IsCancellationRequested)
            await stream.SendEndAsync(error, cancellationToken).ConfigureAwait(false);
        await pump.ConfigureAwait(false);
    }

    /// <summary>
    /// Ends every extension the session used, once it is over: migrated when it (or an extension) restored the tree here, whatever the
    /// source concluded (a tree that runs here keeps what extensions prepared for it).
    /// </summary>
    private async Task EndExtensionsAsync()
    {
        var migrated = RestoredPid is not null;
        foreach (var (name, extension) in _extensions)
        {
            try
            {
                await extension.EndAsync(migrated, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Logged: the session's outcome stands.
            catch (Exception failure)
#pragma warning restore CA1031
            {
                _logger.ExtensionEndFailed(_id, name, migrated, failure);
            }
        }
    }

    /// <summary>The root pid of what an extension restored here itself (a container); null when none did.</summary>
    private int? RestoredByExtension => _extensions.Values.Select(extension => extension.RestoredPid).FirstOrDefault(pid => pid is not null);

    /// <summary>The session's extension <paramref name="name"/>, created on first use; null when none is registered under it.</summary>
    private IDestinationExtension? ExtensionNamed(string name)
    {
        if (_extensions.TryGetValue(name, out var existing))
            return existing;
        if (!_options.Extensions.TryGetValue(name, out var create))
            return null;
        var created = create() ?? throw new InvalidOperationException($"The factory of extension '{name}' returned null.");
        if (created is IMemoryConnectionUser user)
            user.UseMemoryConnection(_memoryFd);
        _extensions.Add(name, created);
        return created;
    }

    private ExtensionResult UnknownExtension(string name) =>
        ExtensionFailed(name, $"the destination has no extension {PeerText.Quote(name)}");

    private ExtensionResult ExtensionFailed(string name, string error)
    {
        _logger.ExtensionFailed(_id, PeerText.Quote(name), error);
        return new ExtensionResult { Error = error };
    }

    private ValueTask SendExtensionAsync(Envelope envelope, CancellationToken cancellationToken) =>
        _channel.SendAsync(envelope, TransportPhase.Extension, cancellationToken, OpenIteration);
}
