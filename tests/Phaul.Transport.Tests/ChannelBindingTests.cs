using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Phaul.Transport.Protocol;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

/// <summary>The key's proof is bound to the TLS channel; unencrypted traffic needs both ends to ask for it.</summary>
public class ChannelBindingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_relay_running_its_own_tls_with_each_end_cannot_make_two_holders_of_the_key_accept_each_other()
    {
        // Attack handled: a machine in the middle terminates TLS towards the source and opens its own towards the
        // destination, passing the handshake messages (and so the proofs) through. Both ends hold the right key.
        await using var destination = new FakeDestination(TestKeys.Shared);
        await using var relay = await TlsTerminatingRelay.StartAsync(destination.Listener.LocalEndPoint);

        var refused = await Assert.ThrowsAsync<TransportException>(() =>
            MigrationConnection.ConnectAsync(relay.EndPoint, TestKeys.Shared, cancellationToken: Ct));

        Assert.Equal(TransportPhase.Authentication, refused.Phase);
        Assert.Contains("could not prove it holds the pre-shared key", refused.Message);
        Assert.True(relay.Relayed > 0, "the relay passed the handshake messages on");
        Assert.Empty(destination.Targets);
    }

    [Fact]
    public async Task Both_ends_asking_for_plaintext_migrate_unencrypted_and_say_so()
    {
        await using var destination = new FakeDestination(TestKeys.Shared, configure: options => options with { InsecurePlaintext = true });

        await using var connection = await destination.ConnectAsync(TestKeys.Shared, new MigrationConnectionOptions { InsecurePlaintext = true });
        await connection.Remote.StartIterAsync(Ct);
        await connection.Remote.StopIterAsync(Ct);

        Assert.False(connection.Encrypted);
    }

    [Theory]
    [InlineData(true, false, "the source asks for unencrypted traffic (--insecure-plaintext); this destination accepts TLS only")]
    [InlineData(false, true, "this destination runs with --insecure-plaintext and the source asks for TLS")]
    public async Task Plaintext_asked_for_by_one_end_only_is_refused_naming_the_option(bool source, bool destinationPlaintext, string reason)
    {
        await using var destination = new FakeDestination(TestKeys.Shared, configure: options => options with { InsecurePlaintext = destinationPlaintext });

        var refused = await Assert.ThrowsAsync<TransportException>(() =>
            destination.ConnectAsync(TestKeys.Shared, new MigrationConnectionOptions { InsecurePlaintext = source }));

        Assert.Contains(reason, refused.Message);
        Assert.Empty(destination.Targets);
    }

    [Fact]
    public async Task Connections_are_encrypted_by_default()
    {
        await using var destination = new FakeDestination(TestKeys.Shared);

        await using var connection = await destination.ConnectAsync(TestKeys.Shared);

        Assert.True(connection.Encrypted);
    }

    /// <summary>
    /// Passes greeting lines on, then runs TLS with its own certificate towards the source and as a client towards the
    /// destination, relaying the decrypted bytes both ways.
    /// </summary>
    private sealed class TlsTerminatingRelay : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly IPEndPoint _destination;
        private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _certificate = TransportTls.CreateServerCertificate();
        private Task _serving = Task.CompletedTask;
        private long _relayed;

        private TlsTerminatingRelay(IPEndPoint destination) => _destination = destination;

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

        public long Relayed => Interlocked.Read(ref _relayed);

        public static Task<TlsTerminatingRelay> StartAsync(IPEndPoint destination)
        {
            var relay = new TlsTerminatingRelay(destination);
            relay._listener.Start();
            relay._serving = relay.ServeOneAsync();
            return Task.FromResult(relay);
        }

        private async Task ServeOneAsync()
        {
            using var source = await _listener.AcceptSocketAsync(Ct);
            using var destination = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await destination.ConnectAsync(_destination, Ct);
            await using var sourceNetwork = new NetworkStream(source, ownsSocket: false);
            await using var destinationNetwork = new NetworkStream(destination, ownsSocket: false);
            await destinationNetwork.WriteAsync(System.Text.Encoding.ASCII.GetBytes(await ConnectionGreeting.ReadLineAsync(sourceNetwork, Ct) + "\n"), Ct);
            await sourceNetwork.WriteAsync(System.Text.Encoding.ASCII.GetBytes(await ConnectionGreeting.ReadLineAsync(destinationNetwork, Ct) + "\n"), Ct);
            var (towardsSource, _) = await TransportTls.AuthenticateAsDestinationAsync(sourceNetwork, _certificate, Ct);
            var (towardsDestination, _) = await TransportTls.AuthenticateAsSourceAsync(destinationNetwork, Ct);
            await Task.WhenAny(PumpAsync(towardsSource, towardsDestination), PumpAsync(towardsDestination, towardsSource));
        }

        private async Task PumpAsync(SslStream from, SslStream to)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                int read;
                while ((read = await from.ReadAsync(buffer, Ct)) > 0)
                {
                    Interlocked.Add(ref _relayed, read);
                    await to.WriteAsync(buffer.AsMemory(0, read), Ct);
                }
            }
            catch (IOException)
            {
                // One end gave up on the other: what the test expects.
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            try
            {
                await _serving;
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The ends closed while the relay was between steps.
            }
            _certificate.Dispose();
        }
    }
}
