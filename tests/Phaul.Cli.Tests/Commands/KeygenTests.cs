using Phaul.Cli.Tests.Support;
using Phaul.Transport;

namespace Phaul.Cli.Tests.Commands;

public class KeygenTests
{
    [Fact]
    public async Task Keygen_writes_a_key_only_its_owner_can_read()
    {
        using var dir = new TempDirectory();
        var path = dir.File("migration.key");

        var result = await PhaulCli.RunAsync("keygen", path);

        Assert.Equal(ExitCode.Success, result.ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(PreSharedKey.GeneratedLength * 2, File.ReadAllText(path).Trim().Length);
        _ = PreSharedKey.LoadFile(path); // what serve and migrate read
        Assert.Contains($"Wrote a new key to {path} (mode 0600)", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_keys_differ()
    {
        using var dir = new TempDirectory();

        await PhaulCli.RunAsync("keygen", dir.File("a"));
        await PhaulCli.RunAsync("keygen", dir.File("b"));

        Assert.NotEqual(File.ReadAllText(dir.File("a")), File.ReadAllText(dir.File("b")));
    }

    [Fact]
    public async Task Keygen_never_overwrites_an_existing_file()
    {
        // Failure handled: the file exists (e.g. the key both hosts already share); replacing it would lock them out.
        using var dir = new TempDirectory();
        var path = dir.File("migration.key");
        await PhaulCli.RunAsync("keygen", path);
        var original = File.ReadAllText(path);

        var result = await PhaulCli.RunAsync("keygen", path);

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains($"'{path}' exists; keygen never overwrites a key", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(original, File.ReadAllText(path));
    }

    [Fact]
    public async Task Keygen_into_a_missing_directory_names_the_file()
    {
        // Failure handled: the directory does not exist.
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "missing", "key");

        var result = await PhaulCli.RunAsync("keygen", path);

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains($"cannot create '{path}'", result.Stderr, StringComparison.Ordinal);
    }
}
