using System.Diagnostics;
using Google.Protobuf;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// Measures the link on the control connection: the shortest of a few empty round trips, then, when asked, bursts of filler,
/// each four times the last, until one takes long enough to time (or the largest was sent), and one more of that
/// size. The bandwidth is the fastest of all the bursts (bytes over time less one round trip), since a busy CPU (both
/// ends encrypt) only ever slows a burst down. It all runs before the freeze, so it is kept short: a few
/// tens of milliseconds on a fast link, where the bandwidth matters least.
/// </summary>
internal sealed class LinkProber(SourceControl control)
{
    private const int RoundTrips = 3;
    private const int FirstBurst = 1 << 20;
    private const int LargestBurst = 8 << 20;
    private const int TimedBursts = 2;
    private static readonly TimeSpan LongEnough = TimeSpan.FromMilliseconds(10);

    // Immutable, so one chunk of zeros serves every burst of every probe.
    private static readonly ByteString Filler = ByteString.CopyFrom(new byte[TransportProtocol.FileChunkLength]);

    /// <exception cref="TransportException">The connection failed, or the destination's count of filler is wrong.</exception>
    public async Task<LinkMeasurement> MeasureAsync(bool bandwidth, CancellationToken cancellationToken)
    {
        var roundTrip = TimeSpan.MaxValue;
        for (var i = 0; i < RoundTrips; i++)
            roundTrip = Min(roundTrip, await BurstAsync(0, cancellationToken).ConfigureAwait(false));
        if (!bandwidth)
            return new LinkMeasurement(null, roundTrip);
        var burst = FirstBurst;
        var elapsed = await BurstAsync(burst, cancellationToken).ConfigureAwait(false);
        var fastest = Rate(burst, elapsed, roundTrip);
        while (elapsed < LongEnough && burst < LargestBurst)
        {
            burst *= 4;
            elapsed = await BurstAsync(burst, cancellationToken).ConfigureAwait(false);
            fastest = Math.Max(fastest, Rate(burst, elapsed, roundTrip));
        }
        for (var i = 1; i < TimedBursts; i++)
            fastest = Math.Max(fastest, Rate(burst, await BurstAsync(burst, cancellationToken).ConfigureAwait(false), roundTrip));
        return new LinkMeasurement(fastest, roundTrip);
    }

    // A burst's bytes over its time less one round trip (at least half its time: a round trip measured long must not inflate it).
    private static double Rate(int bytes, TimeSpan elapsed, TimeSpan roundTrip) =>
        bytes / Math.Max((elapsed - roundTrip).TotalSeconds, elapsed.TotalSeconds / 2);

    // Sends `bytes` of filler in chunks, the last probe asking for the count; returns the time until the answer.
    private Task<TimeSpan> BurstAsync(int bytes, CancellationToken cancellationToken) =>
        control.ExclusiveAsync(async () =>
        {
            var chunk = bytes == 0 ? ByteString.Empty : Filler;
            var clock = Stopwatch.StartNew();
            for (var sent = chunk.Length; sent < bytes; sent += chunk.Length)
                await control.Channel.SendAsync(new Envelope { LinkProbe = new LinkProbe { Filler = chunk } }, TransportPhase.LinkProbe, cancellationToken)
                             .ConfigureAwait(false);
            await control.Channel.SendAsync(new Envelope { LinkProbe = new LinkProbe { Filler = chunk, Answer = true } }, TransportPhase.LinkProbe,
                                            cancellationToken).ConfigureAwait(false);
            var answer = await control.Channel.ReceiveAsync(Envelope.BodyOneofCase.LinkProbeResult, TransportPhase.LinkProbe, control.Timeouts.Reply,
                                                            cancellationToken).ConfigureAwait(false);
            var elapsed = clock.Elapsed;
            if (answer.LinkProbeResult.FillerBytes != (ulong)bytes)
                throw control.Channel.Failure(TransportPhase.LinkProbe,
                    $"the destination counted {answer.LinkProbeResult.FillerBytes} bytes of link probe, not the {bytes} sent");
            return elapsed;
        }, cancellationToken);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
