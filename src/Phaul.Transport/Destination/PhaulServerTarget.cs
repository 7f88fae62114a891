namespace Phaul.Transport;

/// <summary>A session's <see cref="PhaulServer"/> as the session drives it.</summary>
internal sealed class PhaulServerTarget(PhaulServer server) : IMigrationTarget
{
    public string LastImagesDir => server.LastImagesDir;

    public ICriu Criu => server.Criu;

    public Task StartIterAsync(CancellationToken cancellationToken = default) => server.StartIterAsync(cancellationToken);

    public Task StopIterAsync(CancellationToken cancellationToken = default) => server.StopIterAsync(cancellationToken);

    public void Dispose() => server.Dispose();
}
