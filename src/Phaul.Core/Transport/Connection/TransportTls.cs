using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Phaul.Transport;

/// <summary>
/// TLS 1.3 for migration connections, through <see cref="SslStream"/>. Certificates only serve the key exchange: the
/// destination's is generated when it starts and trusted by nobody. What authenticates both ends is the pre-shared
/// key's proof, and each proof covers the SHA-256 of the certificate the source saw (tls-server-end-point channel
/// binding, RFC 5929). A relay in the middle must show the source a certificate of its own, since only the destination
/// can sign with the destination's, so the proofs it passes through cannot match.
/// </summary>
internal static class TransportTls
{
    // No SNI is needed; a fixed name keeps the host's name off the wire.
    private const string TargetHost = "phaul-destination";

    /// <summary>A new self-signed ECDSA P-256 certificate with its private key, for one listener's lifetime.</summary>
    public static X509Certificate2 CreateServerCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=phaul-destination", key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
    }

    /// <summary>Runs the source's side of the TLS handshake.</summary>
    /// <returns>The encrypted stream (owning <paramref name="network"/>) and the channel binding.</returns>
    public static async Task<(SslStream Stream, byte[] Binding)> AuthenticateAsSourceAsync(Stream network, CancellationToken cancellationToken)
    {
        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = TargetHost,
                EnabledSslProtocols = SslProtocols.Tls13,
                // The certificate proves nothing here; the key's proof over its hash does (see the class remarks).
                RemoteCertificateValidationCallback = static (_, certificate, _, _) => certificate is not null,
            };
            await tls.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return (tls, Binding(tls.RemoteCertificate!.GetRawCertData()));
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs the destination's side of the TLS handshake with its certificate.</summary>
    /// <returns>The encrypted stream (owning <paramref name="network"/>) and the channel binding.</returns>
    public static async Task<(SslStream Stream, byte[] Binding)> AuthenticateAsDestinationAsync(Stream network, X509Certificate2 certificate,
                                                                                             CancellationToken cancellationToken)
    {
        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            var options = new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                EnabledSslProtocols = SslProtocols.Tls13,
                ClientCertificateRequired = false,
            };
            await tls.AuthenticateAsServerAsync(options, cancellationToken).ConfigureAwait(false);
            return (tls, Binding(certificate.RawData));
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static byte[] Binding(byte[] certificate) => SHA256.HashData(certificate);
}
