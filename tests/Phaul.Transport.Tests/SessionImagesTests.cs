using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

public class SessionImagesTests
{
    [Fact]
    public void Remove_deletes_the_image_files_of_every_iteration_and_keeps_the_logs()
    {
        using var dirs = new TempDirectory();
        var session = dirs.CreateSubdirectory("session");
        Directory.CreateDirectory(Path.Combine(session, "1"));
        File.WriteAllText(Path.Combine(session, "1", "pages-1.img"), "pages");
        File.WriteAllText(Path.Combine(session, "1", "dump.log"), "log");
        File.WriteAllText(Path.Combine(session, "inventory.img"), "inv");

        var removed = SessionImages.Remove(session);

        Assert.Equal((2, 8L), removed);
        Assert.Equal(["dump.log"], Directory.GetFiles(Path.Combine(session, "1")).Select(Path.GetFileName));
        Assert.Equal(["1"], Directory.GetFileSystemEntries(session).Select(Path.GetFileName));
    }

    // Handles: a restored tree (which may write in the session directory) planting symbolic links to directories
    // and files elsewhere, whose image files the clean-up, running as root, would delete.
    [Fact]
    public void Remove_never_follows_a_symbolic_link_out_of_the_session_directory()
    {
        using var dirs = new TempDirectory();
        var session = dirs.CreateSubdirectory("session");
        var outside = dirs.CreateSubdirectory("outside");
        File.WriteAllText(Path.Combine(outside, "precious.img"), "not the session's");
        Directory.CreateDirectory(Path.Combine(session, "1"));
        File.WriteAllText(Path.Combine(session, "1", "pages-1.img"), "pages");
        Directory.CreateSymbolicLink(Path.Combine(session, "1", "escape"), outside);
        File.CreateSymbolicLink(Path.Combine(session, "linked.img"), Path.Combine(outside, "precious.img"));

        var removed = SessionImages.Remove(session);

        Assert.Equal("not the session's", File.ReadAllText(Path.Combine(outside, "precious.img")));
        Assert.Equal((1, 5L), removed);
        Assert.False(File.Exists(Path.Combine(session, "1", "pages-1.img")));
    }
}
