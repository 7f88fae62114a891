using Phaul.FileSystem.Tests.Fakes;

namespace Phaul.FileSystem.Tests;

/// <summary>The destination's checks before any copy, and its clean-up after a failed migration.</summary>
public sealed class FileSystemDestinationTests : IDisposable
{
    // Preparing only checks that the rsync program exists; these tests run none.
    private const string AnyProgram = "/bin/sh";

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("phaul-fs-destination-");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string Root => _root.FullName;

    // Handles: shared storage not mounted on the destination.
    [Fact]
    public async Task A_missing_shared_path_is_named()
    {
        var destination = new FileSystemDestination();
        var missing = Path.Combine(Root, "not-mounted");

        var failure = await Assert.ThrowsAsync<FileSystemMigrationException>(
            () => destination.PrepareAsync(new FileSystemPlan(FileSystemMode.Shared, [Root, missing]), Token));

        Assert.Contains($"'{missing}' does not exist on the destination", failure.Message);
    }

    [Fact]
    public async Task Existing_shared_paths_pass_and_start_no_rsync()
    {
        var destination = new FileSystemDestination();
        await destination.PrepareAsync(new FileSystemPlan(FileSystemMode.Shared, [Root]), Token);

        Assert.Throws<FileSystemMigrationException>(() => destination.StartRsyncServer(["rsync", "--server", "-r", ".", Root]));
    }

    // Handles: a subtree target outside the destination's allowed roots, and a destination that allows none.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_target_outside_the_allowed_roots_is_refused(bool withRoots)
    {
        var destination = new FileSystemDestination(new FileSystemDestinationOptions { AllowedRoots = withRoots ? [Path.Combine(Root, "allowed")] : [], RsyncPath = AnyProgram });
        var target = Path.Combine(Root, "allowedness");

        var failure = await Assert.ThrowsAsync<FileSystemMigrationException>(
            () => destination.PrepareAsync(new FileSystemPlan(FileSystemMode.Subtree, [target]), Token));

        Assert.Contains($"does not allow copies into '{target}'", failure.Message);
        Assert.Contains(withRoots ? "allowed" : "--fs-root", failure.Message);
        Assert.False(Directory.Exists(target));
    }

    // Handles: a plan whose second target is refused; the first one, allowed, is not created either.
    [Fact]
    public async Task A_refused_plan_creates_no_target()
    {
        var allowed = Path.Combine(Root, "allowed", "app");
        var destination = new FileSystemDestination(new FileSystemDestinationOptions { AllowedRoots = [Path.Combine(Root, "allowed")], RsyncPath = AnyProgram });

        await Assert.ThrowsAsync<FileSystemMigrationException>(
            () => destination.PrepareAsync(new FileSystemPlan(FileSystemMode.Subtree, [allowed, Path.Combine(Root, "other")]), Token));

        Assert.False(Directory.Exists(allowed));
    }

    // Handles: a target reached through a symbolic link inside the allowed root, which could lead anywhere.
    [Fact]
    public async Task A_target_behind_a_symbolic_link_is_refused()
    {
        var elsewhere = Directory.CreateDirectory(Path.Combine(Root, "elsewhere")).FullName;
        var allowed = Directory.CreateDirectory(Path.Combine(Root, "allowed")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(allowed, "link"), elsewhere);
        var destination = new FileSystemDestination(new FileSystemDestinationOptions { AllowedRoots = [allowed], RsyncPath = AnyProgram });
        var target = Path.Combine(allowed, "link", "app");

        var failure = await Assert.ThrowsAsync<FileSystemMigrationException>(
            () => destination.PrepareAsync(new FileSystemPlan(FileSystemMode.Subtree, [target]), Token));

        Assert.Contains($"'{Path.Combine(allowed, "link")}' is a symbolic link", failure.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
    }

    // Handles: one target inside another. A copy into the outer one can replace the inner one with a symbolic link
    // (to /etc, say), which the copy into the inner one would then follow, writing and deleting there.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Nested_targets_are_refused_in_either_order(bool innerFirst)
    {
        var outer = Path.Combine(Root, "app");
        var inner = Path.Combine(outer, "data");
        var destination = new FileSystemDestination(new FileSystemDestinationOptions { AllowedRoots = [Root], RsyncPath = AnyProgram });

        var failure = await Assert.ThrowsAsync<FileSystemMigrationException>(
            () => destination.PrepareAsync(new FileSystemPlan(FileSystemMode.Subtree, innerFirst ? [inner, outer] : [outer, inner]), Token));

        Assert.Contains(innerFirst ? $"'{outer}' holds '{inner}', another target of this migration" : $"'{inner}' lies inside '{outer}', another target of this migration",
                        failure.Message);
        Assert.False(Directory.Exists(outer));
    }

    // Handles: a directory on the way to a prepared target replaced by a symbolic link before its copy starts; the
    // path was checked when prepared, and rsync would follow the link out of the allowed root.
    [Fact]
    public async Task A_target_reached_through_a_symbolic_link_by_now_is_refused_before_rsync_starts()
    {
        var target = Path.Combine(Root, "allowed", "app", "data");
        var elsewhere = Directory.CreateDirectory(Path.Combine(Root, "elsewhere", "data")).FullName;
        var destination = new FileSystemDestination(new FileSystemDestinationOptions { AllowedRoots = [Path.Combine(Root, "allowed")], RsyncPath = AnyProgram });
        await destination.PrepareAsync(new FileSystemPlan(FileSystemMode.Subtree, [target]), Token);
        Directory.Move(Path.Combine(Root, "allowed", "app"), Path.Combine(Root, "allowed", "moved"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "allowed", "app"), Path.GetDirectoryName(elsewhere)!);

        var failure = Assert.Throws<FileSystemMigrationException>(() => destination.StartRsyncServer(["rsync", "--server", "-r", ".", target]));

        Assert.Contains($"'{Path.Combine(Root, "allowed", "app")}' is a symbolic link or no directory", failure.Message);
    }

    // Handles: the same swap made after rsync --server started, before it looked its target up: it writes and deletes
    // in the directory that was checked, wherever that is now, never where the link leads.
    [Fact]
    public async Task A_copy_stays_in_the_checked_directory_when_its_path_is_swapped_for_a_symbolic_link_during_the_copy()
    {
        FileTree.RequireRsync();
        var source = Directory.CreateDirectory(Path.Combine(Root, "source")).FullName;
        File.WriteAllText(Path.Combine(source, "copied"), "from the source");
        var allowed = Path.Combine(Root, "allowed");
        var target = Path.Combine(allowed, "app", "data");
        var elsewhere = Directory.CreateDirectory(Path.Combine(Root, "elsewhere", "data")).FullName;
        File.WriteAllText(Path.Combine(elsewhere, "precious"), "not the copy's");
        var rsync = RsyncProgram.Require(RsyncProgram.DefaultName, "test");
        var destination = new SwapOnFirstRead(
            new FileSystemDestination(new FileSystemDestinationOptions { AllowedRoots = [allowed], RsyncPath = rsync }),
            () =>
            {
                Directory.Move(Path.Combine(allowed, "app"), Path.Combine(allowed, "moved"));
                Directory.CreateSymbolicLink(Path.Combine(allowed, "app"), Path.GetDirectoryName(elsewhere)!);
            });
        await destination.PrepareAsync(new FileSystemPlan(FileSystemMode.Subtree, [target]), Token);

        await new RsyncClient(rsync, destination).CopyAsync(["-rlpt", "--delete"], source, target, Token);

        Assert.Equal(["precious"], Directory.GetFiles(elsewhere).Select(Path.GetFileName));
        Assert.Equal("from the source", File.ReadAllText(Path.Combine(allowed, "moved", "data", "copied")));
    }

    // Handles: a target that already holds files, which a failed migration could not restore.
    [Fact]
    public async Task A_non_empty_target_is_refused_and_left_alone()
    {
        var target = Directory.CreateDirectory(Path.Combine(Root, "target")).FullName;
        File.WriteAllText(Path.Combine(target, "precious"), "keep me");
        var destination = new FileSystemDestination(new FileSystemDestinationOptions { AllowedRoots = [Root], RsyncPath = AnyProgram });

        var failure = await Assert.ThrowsAsync<FileSystemMigrationException>(
            () => destination.PrepareAsync(new FileSystemPlan(FileSystemMode.Subtree, [target]), Token));

        Assert.Contains("not an empty directory", failure.Message);
        await destination.CompleteAsync(migrated: false, Token);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(target, "precious")));
    }

    [Fact]
    public async Task After_a_failure_a_created_target_is_removed_and_an_empty_one_emptied_again()
    {
        var created = Path.Combine(Root, "created");
        var empty = Directory.CreateDirectory(Path.Combine(Root, "empty")).FullName;
        var destination = new FileSystemDestination(new FileSystemDestinationOptions { AllowedRoots = [Root], RsyncPath = AnyProgram });
        await destination.PrepareAsync(new FileSystemPlan(FileSystemMode.Subtree, [created, empty + "/"]), Token);
        File.WriteAllText(Path.Combine(created, "copied"), "");
        Directory.CreateDirectory(Path.Combine(empty, "sub"));
        File.WriteAllText(Path.Combine(empty, "sub", "copied"), "");

        await destination.CompleteAsync(migrated: false, Token);

        Assert.False(Directory.Exists(created));
        Assert.True(Directory.Exists(empty));
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty));
    }

    [Fact]
    public async Task After_a_success_the_copy_stays()
    {
        var target = Path.Combine(Root, "target");
        var destination = new FileSystemDestination(new FileSystemDestinationOptions { AllowedRoots = [Root], RsyncPath = AnyProgram });
        await destination.PrepareAsync(new FileSystemPlan(FileSystemMode.Subtree, [target]), Token);
        File.WriteAllText(Path.Combine(target, "copied"), "");

        await destination.CompleteAsync(migrated: true, Token);

        Assert.True(File.Exists(Path.Combine(target, "copied")));
    }

    public void Dispose() => _root.Delete(recursive: true);
}
