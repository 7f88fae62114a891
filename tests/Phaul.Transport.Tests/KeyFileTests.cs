using Phaul.Testing;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

public class KeyFileTests
{
    [Fact]
    public void Generate_writes_a_new_key_readable_by_the_owner_only()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("phaul.key");

        var key = PreSharedKey.GenerateFile(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(key.ToHex() + "\n", File.ReadAllText(path));
        Assert.Equal(PreSharedKey.GeneratedLength * 2, key.ToHex().Length);
        Assert.Equal(key.ToHex(), PreSharedKey.LoadFile(path).ToHex());
    }

    [Fact]
    public void Generate_makes_a_different_key_each_time()
    {
        using var dir = new TempDirectory();
        Assert.NotEqual(PreSharedKey.GenerateFile(dir.Combine("a")).ToHex(), PreSharedKey.GenerateFile(dir.Combine("b")).ToHex());
    }

    [Fact]
    public void Generate_never_overwrites_an_existing_file()
    {
        // Failure handled: `phaul keygen` pointed at an existing key, which would lock out the other host.
        using var dir = new TempDirectory();
        var path = dir.Combine("phaul.key");
        var original = PreSharedKey.GenerateFile(path);

        Assert.Throws<IOException>(() => PreSharedKey.GenerateFile(path));
        Assert.Equal(original.ToHex(), PreSharedKey.LoadFile(path).ToHex());
    }

    [Fact]
    public void Load_refuses_a_key_file_others_can_read()
    {
        // Failure handled: a key file left world-readable, e.g. copied with a default umask.
        using var dir = new TempDirectory();
        var path = dir.Combine("phaul.key");
        PreSharedKey.GenerateFile(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var error = Assert.Throws<UnauthorizedAccessException>(() => PreSharedKey.LoadFile(path));
        Assert.Contains("mode 0604", error.Message);
        Assert.Contains($"chmod 600 {path}", error.Message);
    }

    // Handles: a key file another user owns, who could replace the key with one they know.
    [Fact]
    public void Load_refuses_a_key_file_another_user_owns()
    {
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "giving a file to another user needs root");
        using var dir = new TempDirectory();
        var path = dir.Combine("phaul.key");
        PreSharedKey.GenerateFile(path);
        FileTree.Chown(path, 1234, 1234);

        var error = Assert.Throws<UnauthorizedAccessException>(() => PreSharedKey.LoadFile(path));
        Assert.Contains($"Key file '{path}' is owned by uid 1234", error.Message);
    }

    // Handles: a symbolic link in place of the key file: the file checked and the file read could differ, and the
    // link could lead to any file.
    [Fact]
    public void Load_refuses_a_symbolic_link_even_to_a_good_key_file()
    {
        using var dir = new TempDirectory();
        var target = dir.Combine("real.key");
        PreSharedKey.GenerateFile(target);
        var path = dir.Combine("phaul.key");
        File.CreateSymbolicLink(path, target);

        var error = Assert.Throws<UnauthorizedAccessException>(() => PreSharedKey.LoadFile(path));
        Assert.Contains($"Key file '{path}' is a symbolic link", error.Message);
    }

    [Fact]
    public void Load_refuses_what_is_not_a_regular_file()
    {
        using var dir = new TempDirectory();
        var path = dir.CreateSubdirectory("phaul.key");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var error = Assert.Throws<IOException>(() => PreSharedKey.LoadFile(path));
        Assert.Contains($"Key file '{path}' is not a regular file", error.Message);
    }

    [Theory]
    [InlineData("not hexadecimal at all", "hexadecimal digits")]
    [InlineData("abc", "hexadecimal digits")]
    [InlineData("00112233445566778899aabbccddee", "16 to 64 bytes; this one has 15")]
    [InlineData("", "16 to 64 bytes; this one has 0")]
    public void Load_refuses_content_that_is_not_a_valid_key(string content, string problem)
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("phaul.key");
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var error = Assert.Throws<ArgumentException>(() => PreSharedKey.LoadFile(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Load_names_a_missing_file_and_how_to_make_one()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("missing.key");
        var error = Assert.Throws<FileNotFoundException>(() => PreSharedKey.LoadFile(path));
        Assert.Contains($"phaul keygen {path}", error.Message);
    }

    [Fact]
    public void Load_accepts_surrounding_white_space()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("phaul.key");
        File.WriteAllText(path, "  " + TestKeys.Shared.ToHex().ToUpperInvariant() + "\r\n\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead);

        Assert.Equal(TestKeys.Shared.ToHex(), PreSharedKey.LoadFile(path).ToHex());
    }

    [Fact]
    public void A_key_does_not_reveal_itself_in_text()
    {
        Assert.DoesNotContain(TestKeys.Shared.ToHex(), TestKeys.Shared.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("PreSharedKey(32 bytes)", TestKeys.Shared.ToString());
    }
}
