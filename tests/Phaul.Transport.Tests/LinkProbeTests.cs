using Microsoft.Extensions.Logging.Abstractions;
using Phaul.Transport.Protocol;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

/// <summary>The source measures the link on the migration's own connection before it chooses a strategy.</summary>
public sealed class LinkProbeTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly FakeDestination _destination = new(TestKeys.Shared);
    private LoopbackPair? _pair;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_destination_answers_the_probe_and_the_source_gets_a_bandwidth_and_a_round_trip()
    {
        await using var connection = await _destination.ConnectAsync(TestKeys.Shared, new MigrationConnectionOptions());
        var probe = Assert.IsAssignableFrom<ILinkProbe>(connection.Remote);

        var link = await probe.MeasureLinkAsync(bandwidth: true, Ct).WaitAsync(Patience, Ct);

        // Loopback through TLS: far above 10 MB/s, and a round trip well under a second.
        Assert.InRange(link.BytesPerSecond!.Value, 10e6, 1e12);
        Assert.InRange(link.RoundTrip, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(1));
        // The connection is in step afterwards: the next request gets its own answer.
        await connection.Remote.StartIterAsync(Ct);
        await connection.Remote.StopIterAsync(Ct);
    }

    [Fact]
    public async Task Without_the_bandwidth_the_probe_sends_no_filler()
    {
        await using var connection = await _destination.ConnectAsync(TestKeys.Shared, new MigrationConnectionOptions());

        var link = await ((ILinkProbe)connection.Remote).MeasureLinkAsync(bandwidth: false, Ct).WaitAsync(Patience, Ct);

        Assert.Null(link.BytesPerSecond);
        Assert.InRange(link.RoundTrip, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_destination_that_miscounts_the_filler_fails_the_probe_naming_both_counts()
    {
        // Failure handled: a destination out of step with the probe (or lying about it); the source stops before the freeze.
        _pair = await LoopbackPair.CreateAsync();
        var control = new SourceControl(_pair.ClientChannel(), TransportTimeouts.Default, NullLogger.Instance, progress: null);
        var destination = _pair.ServerChannel();
        var measuring = new LinkProber(control).MeasureAsync(bandwidth: true, Ct);

        Envelope probe;
        do
            probe = await destination.ReceiveAsync(Envelope.BodyOneofCase.LinkProbe, TransportPhase.AwaitingRequest, Patience, Ct);
        while (!probe.LinkProbe.Answer);
        await destination.SendAsync(new Envelope { LinkProbeResult = new LinkProbeResult { FillerBytes = 5 } }, TransportPhase.AwaitingRequest, Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() => measuring).WaitAsync(Patience, Ct);
        Assert.Equal(TransportPhase.LinkProbe, error.Phase);
        Assert.Contains("the destination counted 5 bytes of link probe, not the 0 sent", error.Message, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        if (_pair is not null)
            await _pair.DisposeAsync();
        await _destination.DisposeAsync();
    }
}
