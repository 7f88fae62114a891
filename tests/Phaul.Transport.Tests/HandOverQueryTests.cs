using Microsoft.Extensions.Logging.Abstractions;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

/// <summary>The hand-over query is authenticated like every other connection: only a peer with the key gets an answer.</summary>
public class HandOverQueryTests
{
    private static readonly TransportTimeouts Quick = TransportTimeouts.Default with { HandOver = TimeSpan.FromSeconds(1), Handshake = TimeSpan.FromSeconds(1) };

    [Fact]
    public async Task A_peer_without_the_key_gets_no_answer_and_decides_nothing()
    {
        // Attack handled: a peer without the key asks about (and so would decide) a session's hand-over.
        await using var destination = new FakeDestination(TestKeys.Shared);
        var sessionId = new byte[16];

        var stranger = new HandOverResolver(new TransportConnector(destination.Listener.LocalEndPoint, TestKeys.Other, false, Quick), sessionId, Quick, NullLogger.Instance);
        var member = new HandOverResolver(new TransportConnector(destination.Listener.LocalEndPoint, TestKeys.Shared, false, Quick), sessionId, Quick, NullLogger.Instance);

        Assert.Null(await stranger.TryResolveAsync());
        Assert.False(await member.TryResolveAsync()); // a session the destination never held: its copy never ran
    }
}
