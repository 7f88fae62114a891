namespace Phaul.IntegrationTests.FileSystem;

/// <summary>
/// SubtreeFileSystem with real rsync, source and destination on this machine (the destination's rsync
/// --server reached through the relay, its arguments checked): what a tree holds arrives as it was at
/// the last copy, and a failed migration leaves nothing at the destination.
/// </summary>
public sealed class SubtreeCopyTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("phaul-fs-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Source => Path.Combine(_scratch.FullName, "source");

    private string Target => Path.Combine(_scratch.FullName, "target");

    [Fact(Timeout = 60_000)]
    public async Task Copies_CreatedChangedAndDeletedFiles_AsTheyWereAtTheLastCopy_WithModesOwnersTimesLinks()
    {
        FileTree.RequireRsync();
        Directory.CreateDirectory(Path.Combine(Source, "sub"));
        File.WriteAllText(Path.Combine(Source, "kept"), "kept");
        File.WriteAllText(Path.Combine(Source, "changed"), "before");
        File.WriteAllText(Path.Combine(Source, "deleted"), "gone soon");
        File.WriteAllText(Path.Combine(Source, "skip.tmp"), "excluded");
        var fileSystem = SubtreeFileSystem.OnThisMachine(Options());

        var bulk = await fileSystem.BeforeIterationsAsync(Ct);

        Assert.Equal("before", File.ReadAllText(Path.Combine(Target, "changed")));
        Assert.False(File.Exists(Path.Combine(Target, "skip.tmp")));
        Assert.Equal(3, bulk["filesTransferred"]);
        Assert.True(bulk["bytesSent"] > 0);

        File.WriteAllText(Path.Combine(Source, "changed"), "after!");  // same size, same second: found by nanoseconds
        File.Delete(Path.Combine(Source, "deleted"));
        File.WriteAllText(Path.Combine(Source, "sub", "created"), "new");
        FileTree.Chmod(Path.Combine(Source, "sub", "created"), "440");
        FileTree.Chown(Path.Combine(Source, "sub", "created"), 1234, 4321);
        File.CreateSymbolicLink(Path.Combine(Source, "link"), "sub/created");
        FileTree.HardLink(Path.Combine(Source, "kept"), Path.Combine(Source, "sub", "kept-too"));
        File.SetLastWriteTimeUtc(Path.Combine(Source, "kept"), new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc));

        var freeze = await fileSystem.WhileFrozenAsync(Ct);

        Assert.Equal("after!", File.ReadAllText(Path.Combine(Target, "changed")));
        Assert.False(File.Exists(Path.Combine(Target, "deleted")));
        Assert.Equal(1, freeze["filesDeleted"]);
        Assert.Equal("new", File.ReadAllText(Path.Combine(Target, "sub", "created")));
        Assert.Equal("440", FileTree.Mode(Path.Combine(Target, "sub", "created")));
        Assert.Equal((1234, 4321), FileTree.Owner(Path.Combine(Target, "sub", "created")));
        Assert.Equal("sub/created", new FileInfo(Path.Combine(Target, "link")).LinkTarget);
        Assert.Equal(FileTree.Inode(Path.Combine(Target, "kept")), FileTree.Inode(Path.Combine(Target, "sub", "kept-too")));
        Assert.Equal(File.GetLastWriteTimeUtc(Path.Combine(Source, "kept")), File.GetLastWriteTimeUtc(Path.Combine(Target, "kept")));
        Assert.Equal(File.GetLastWriteTimeUtc(Path.Combine(Source, "changed")), File.GetLastWriteTimeUtc(Path.Combine(Target, "changed")));
        FileTree.AssertSame(Source, Target, excluded: "skip.tmp");

        await fileSystem.CompleteAsync(migrated: true, Ct);
        Assert.True(File.Exists(Path.Combine(Target, "kept")));
    }

    [Fact(Timeout = 60_000)]
    public async Task AFailedMigration_RemovesTheCopy_UnlessAskedToKeepIt()
    {
        FileTree.RequireRsync();
        Directory.CreateDirectory(Source);
        File.WriteAllText(Path.Combine(Source, "file"), "data");
        var fileSystem = SubtreeFileSystem.OnThisMachine(Options());
        await fileSystem.BeforeIterationsAsync(Ct);
        Assert.True(File.Exists(Path.Combine(Target, "file")));

        await fileSystem.CompleteAsync(migrated: false, Ct);

        Assert.False(Directory.Exists(Target));
        Assert.Equal("data", File.ReadAllText(Path.Combine(Source, "file")));

        var keeping = SubtreeFileSystem.OnThisMachine(Options(keep: true));
        await keeping.BeforeIterationsAsync(Ct);
        await keeping.CompleteAsync(migrated: false, Ct);
        Assert.True(File.Exists(Path.Combine(Target, "file")));
    }

    // Handles: the destination's rsync is missing; the copy fails before anything runs, naming the program.
    [Fact(Timeout = 60_000)]
    public async Task AMissingRsyncAtTheDestination_FailsTheBulkCopy_NamingIt()
    {
        FileTree.RequireRsync();
        Directory.CreateDirectory(Source);
        var destination = new FileSystemDestination(new FileSystemDestinationOptions
        {
            AllowedRoots = [Target],
            RsyncPath = "/nonexistent/rsync",
        });
        var fileSystem = new SubtreeFileSystem(destination, Options());

        var failure = await Assert.ThrowsAsync<FileSystemMigrationException>(() => fileSystem.BeforeIterationsAsync(Ct));

        Assert.Contains("rsync is not installed on the destination", failure.Message);
        Assert.Contains("/nonexistent/rsync", failure.Message);
    }

    // Handles: the destination's rsync dies mid-copy (here: killed at once); the copy fails with its signal.
    [Fact(Timeout = 60_000)]
    public async Task ADestinationRsyncKilledMidCopy_FailsTheCopy_SayingSo()
    {
        FileTree.RequireRsync();
        Directory.CreateDirectory(Source);
        File.WriteAllText(Path.Combine(Source, "file"), "data");
        var killer = Path.Combine(_scratch.FullName, "rsync-killed");
        File.WriteAllText(killer, "#!/bin/sh\nkill -9 $$\n");
        FileTree.Chmod(killer, "500");
        var destination = new FileSystemDestination(new FileSystemDestinationOptions { AllowedRoots = [Target], RsyncPath = killer });
        var fileSystem = new SubtreeFileSystem(destination, Options());

        var failure = await Assert.ThrowsAsync<FileSystemMigrationException>(() => fileSystem.BeforeIterationsAsync(Ct));

        Assert.Contains("killed by signal 9", failure.Message);
        Assert.Equal("data", File.ReadAllText(Path.Combine(Source, "file")));
    }

    // Handles: a destination filesystem that cannot hold ACLs or extended attributes (rsync's receiver reports
    // "Operation not supported", code 23). The bulk copy is repeated without -A and -X, and so are later copies.
    [Fact(Timeout = 60_000)]
    public async Task A_destination_refusing_acls_and_xattrs_gets_copies_without_them()
    {
        FileTree.RequireRsync();
        Directory.CreateDirectory(Source);
        File.WriteAllText(Path.Combine(Source, "file"), "data");
        var destination = new RefusingAclsOnce(new FileSystemDestination(new FileSystemDestinationOptions { AllowedRoots = [Target] }));
        var fileSystem = new SubtreeFileSystem(destination, Options());

        await fileSystem.BeforeIterationsAsync(Ct);
        await fileSystem.WhileFrozenAsync(Ct);

        Assert.Equal(3, destination.Runs.Count);
        Assert.Matches("^-[a-zA-Z]*A[a-zA-Z]*X", destination.Runs[0][2]);
        Assert.All(destination.Runs.Skip(1), run => Assert.DoesNotMatch("^-[a-zB-Z]*[AX]", run[2]));
        Assert.Equal("data", File.ReadAllText(Path.Combine(Target, "file")));
    }

    private SubtreeFileSystemOptions Options(bool keep = false) => new()
    {
        Subtrees = [new FileSystemSubtree(Source) { DestinationPath = Target }],
        Excludes = ["*.tmp"],
        KeepOnFailure = keep,
    };

    public void Dispose() => _scratch.Delete(recursive: true);

    /// <summary>A destination whose first copy fails as rsync's receiver does on a filesystem without ACLs and xattrs.</summary>
    private sealed class RefusingAclsOnce(FileSystemDestination real) : IFileSystemDestination
    {
        public List<IReadOnlyList<string>> Runs { get; } = [];

        public Task PrepareAsync(FileSystemPlan plan, CancellationToken cancellationToken) => real.PrepareAsync(plan, cancellationToken);

        public Task RunRsyncServerAsync(IReadOnlyList<string> serverArguments, Stream stdio, CancellationToken cancellationToken)
        {
            Runs.Add(serverArguments);
            return Runs.Count == 1
                ? throw new FileSystemMigrationException(
                    "rsync: [receiver] set_acl: sys_acl_set_file(file, ACL_TYPE_ACCESS): Operation not supported (95) | " +
                    "rsync error: some files/attrs were not transferred (see previous errors) (code 23)")
                : real.RunRsyncServerAsync(serverArguments, stdio, cancellationToken);
        }

        public Task CompleteAsync(bool migrated, CancellationToken cancellationToken) => real.CompleteAsync(migrated, cancellationToken);
    }
}
