namespace Phaul.Core.Tests.Fakes;

/// <summary>A shell script standing in for the CRIU binary, for tests of how swrk is spawned and watched.</summary>
internal sealed class FakeCriuBinary : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("phaul-fake-criu-");

    /// <param name="body">The script; MARKER in it is replaced by <see cref="Marker"/>.</param>
    /// <param name="mode">The file's permissions.</param>
    public FakeCriuBinary(string body, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)
    {
        Path = System.IO.Path.Combine(_directory.FullName, "criu");
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("CRIU is Linux-only");
        File.WriteAllText(Path, "#!/bin/bash\n" + body.Replace("MARKER", Marker, StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(Path, mode);
    }

    public string Path { get; }

    /// <summary>A name unique to this fake, for finding its processes in /proc.</summary>
    public string Marker => _directory.Name;

    public void Dispose() => _directory.Delete(recursive: true);
}
