namespace Phaul;

/// <summary>An open images directory whose fd goes into <c>CriuOpts.ImagesDirFd</c>.</summary>
internal interface IOpenImagesDirectory : IDisposable
{
    int Fd { get; }
}

/// <summary>
/// Opens images directories for CRIU requests. A seam so that unit tests of the migration, which
/// never reach CRIU, need no real directory fds.
/// </summary>
internal interface IImagesDirectoryOpener
{
    IOpenImagesDirectory Open(string path);
}

/// <summary>Opens directories with <see cref="ImagesDirectory"/>.</summary>
internal sealed class ImagesDirectoryOpener : IImagesDirectoryOpener
{
    public static ImagesDirectoryOpener Instance { get; } = new();

    public IOpenImagesDirectory Open(string path) => new Opened(ImagesDirectory.Open(path));

    private sealed class Opened(ImagesDirectory directory) : IOpenImagesDirectory
    {
        public int Fd => directory.Fd;

        public void Dispose() => directory.Dispose();
    }
}
