using System.Globalization;
using Phaul.Rpc;

namespace Phaul;

// CRIU's version: asked once per instance, on the session of the first request, with keep_open
// so that session goes on to serve the request.
public sealed partial class Criu
{
    private async Task EnsureSupportedAsync(SwrkSession session, CriuReqType type, CancellationToken cancellationToken)
    {
        if (_version is null)
        {
            try
            {
                var request = new CriuReq { Type = CriuReqType.Version, KeepOpen = true };
                RememberVersion(type, await session.RequestAsync(request, null, cancellationToken).ConfigureAwait(false));
            }
            catch (CriuException e) when (e is not CriuProtocolException)
            {
                throw new CriuException(type, $"CRIU at {_launcher.Description} did not tell its version (it must be at least " +
                                              $"{Describe(MinimumVersion)}): {e.Message}", innerException: e);
            }
        }
        var version = Encode(_version!);
        if (version < MinimumVersion)
            throw new CriuException(type, $"CRIU at {_launcher.Description} is version {Describe(version)}; " +
                                          $"Phaul needs {Describe(MinimumVersion)} or newer");
    }

    private void RememberVersion(CriuReqType type, CriuResp response)
    {
        _version = response.Version ?? throw new CriuProtocolException(type, "CRIU answered VERSION without a version");
        CriuLog.VersionChecked(_logger, Describe(Encode(_version)), _launcher.Description);
    }

    /// <summary><c>major*10000 + minor*100 + sublevel</c>, the encoding of <see cref="GetCriuVersionAsync"/>.</summary>
    private static int Encode(CriuVersion version) =>
        (version.MajorNumber * 10000) + (version.MinorNumber * 100) + (version.HasSublevel ? version.Sublevel : 0);

    private static string Describe(int version) =>
        string.Create(CultureInfo.InvariantCulture, $"{version / 10000}.{version / 100 % 100}.{version % 100}");
}
