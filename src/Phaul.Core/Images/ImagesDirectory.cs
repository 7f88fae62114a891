namespace Phaul;

/// <summary>An open directory whose fd can go into <c>CriuOpts.ImagesDirFd</c>. PLACEHOLDER: being implemented.</summary>
public sealed class ImagesDirectory : IDisposable
{
    private ImagesDirectory(string path) => Path = path;

    /// <summary>Opens an existing directory.</summary>
    /// <param name="path">The directory.</param>
    public static ImagesDirectory Open(string path) => throw new NotImplementedException(path);

    /// <summary>The directory's path.</summary>
    public string Path { get; }

    /// <summary>The open fd, valid until disposed.</summary>
    public int Fd => throw new NotImplementedException();

    /// <inheritdoc/>
    public void Dispose() { }
}
