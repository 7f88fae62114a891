namespace Phaul.Core.Tests.Images;

/// <summary>ImagesDirectory gives an fd CRIU can use, or a clear error naming the path.</summary>
public sealed class ImagesDirectoryTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("phaul-images-dir-");

    [Fact]
    public void Open_GivesACloseOnExecFdOfTheDirectory()
    {
        using var images = ImagesDirectory.Open(_dir.FullName);

        Assert.Equal(_dir.FullName, new FileInfo($"/proc/self/fd/{images.Fd}").LinkTarget);
        Assert.Equal(1, Interop.Fcntl(images.Fd, Interop.F_GETFD, 0) & 1 /* FD_CLOEXEC */);
        Assert.Equal(_dir.FullName, images.Path);
    }

    [Fact]
    public void Dispose_ClosesTheFd()
    {
        var images = ImagesDirectory.Open(_dir.FullName);
        var fd = images.Fd;

        images.Dispose();

        Assert.Throws<ObjectDisposedException>(() => images.Fd);
        Assert.NotEqual(_dir.FullName, new FileInfo($"/proc/self/fd/{fd}").Exists ? new FileInfo($"/proc/self/fd/{fd}").LinkTarget : null);
    }

    [Fact]
    public void Open_OfAMissingDirectory_NamesIt()
    {
        var missing = Path.Combine(_dir.FullName, "missing");

        var error = Assert.Throws<DirectoryNotFoundException>(() => ImagesDirectory.Open(missing));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_OfAFile_SaysItIsNotADirectory()
    {
        var file = Path.Combine(_dir.FullName, "file");
        File.WriteAllText(file, "");

        var error = Assert.Throws<DirectoryNotFoundException>(() => ImagesDirectory.Open(file));

        Assert.Contains("is not a directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_OfAnEmptyPath_IsAnArgumentError()
    {
        Assert.Throws<ArgumentException>(() => ImagesDirectory.Open(""));
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
