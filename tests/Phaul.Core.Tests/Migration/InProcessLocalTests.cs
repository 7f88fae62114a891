using System.Diagnostics;
using Moq;
using Phaul.Rpc;

namespace Phaul.Core.Tests.Migration;

public class InProcessLocalTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task FinalIterationAsync(InProcessHarness harness, string lastClientImagesPath = "")
    {
        await harness.Server.StartIterAsync(Token);
        await harness.Local.DumpCopyRestoreAsync(harness.ClientCriu.Object, harness.ClientConfig, lastClientImagesPath, Token);
        await harness.Server.StopIterAsync(Token);
    }

    [Fact]
    public async Task PostDump_LinksTheImagesIntoTheServersLastDir_AndRestoresThemThere()
    {
        using var harness = new InProcessHarness();

        await FinalIterationAsync(harness);

        var source = Path.Combine(harness.ClientWdir, "0", "core-1.img");
        var target = Path.Combine(harness.ServerWdir, "0", "core-1.img");
        await File.AppendAllTextAsync(source, "+more", Token);
        Assert.Equal("core+more", await File.ReadAllTextAsync(target, Token));   // one inode: a hard link
        Assert.True(File.Exists(Path.Combine(harness.ServerWdir, "0", "inventory.img")));
        Assert.False(File.Exists(Path.Combine(harness.ServerWdir, "0", "stats-dump")));
        Assert.Equal(4242, harness.Local.RestoredPid);
        Assert.True(harness.PageServerGoneAtRestore, "restored before the page server had written everything");
    }

    [Fact]
    public async Task WithoutPreDumps_TheDumpHasNoParentAndNoMemoryTracking()
    {
        using var harness = new InProcessHarness();

        await FinalIterationAsync(harness);

        var dump = harness.DumpOptions!;
        Assert.Equal(4321, dump.Pid);
        Assert.Equal(10, dump.Ps.Fd);
        Assert.True(dump.NotifyScripts);
        Assert.False(dump.HasParentImg);
        Assert.False(dump.TrackMem);
        Assert.Equal(FakeDirectories.Fd, dump.ImagesDirFd);
        var restore = harness.RestoreOptions!;
        Assert.True(restore.HasRstSibling);
        Assert.False(restore.RstSibling);
        Assert.Equal("restore.log", restore.LogFile);
        // The page server's directory, the dump's, then the restore's.
        Assert.Equal([Path.Combine(harness.ServerWdir, "0"), Path.Combine(harness.ClientWdir, "0"), Path.Combine(harness.ServerWdir, "0")],
                     harness.Directories.Opened);
    }

    [Fact]
    public async Task StatedCriuOptions_ReachTheDump_AndTheirRestorePartTheRestore()
    {
        using var harness = new InProcessHarness(new CriuOpts { FileLocks = true, GhostLimit = 1 << 20, External = { "mnt[/data]:data" } });

        await FinalIterationAsync(harness);

        var dump = harness.DumpOptions!;
        Assert.Equal((true, 1u << 20, 4321), (dump.FileLocks, dump.GhostLimit, dump.Pid));
        Assert.Equal(["mnt[/data]:data"], dump.External);
        var restore = harness.RestoreOptions!;
        Assert.Equal((true, false, "restore.log"), (restore.FileLocks, restore.HasGhostLimit, restore.LogFile));
        Assert.Equal(["mnt[/data]:data"], restore.External);
        Assert.Same(harness.Local, harness.Local as ICriuOptionsSource); // so the loop's pre-dumps get them too
    }

    [Fact]
    public async Task AfterPreDumps_TheDumpGoesToTheNextDir_WithTheLastPreDumpAsParent()
    {
        using var harness = new InProcessHarness();
        var last = Path.Combine(harness.ClientWdir, "2");
        Directory.CreateDirectory(last);

        await FinalIterationAsync(harness, last);

        Assert.Equal("../2", harness.DumpOptions!.ParentImg);
        Assert.True(harness.DumpOptions.TrackMem);
        Assert.True(File.Exists(Path.Combine(harness.ClientWdir, "3", "core-1.img")));
    }

    [Fact]
    public async Task AFailedRestore_FailsTheDump_AndSurfacesTheRestoresError()
    {
        // Handles: the destination cannot restore; the notification fails so CRIU resumes the source tree.
        using var harness = new InProcessHarness { RestoreFailure = new CriuException(CriuReqType.Restore, "restore failed") };
        await harness.Server.StartIterAsync(Token);

        var error = await Assert.ThrowsAsync<CriuException>(
            () => harness.Local.DumpCopyRestoreAsync(harness.ClientCriu.Object, harness.ClientConfig, "", Token));

        Assert.Same(harness.RestoreFailure, error);
        Assert.Null(harness.Local.RestoredPid);
        await harness.Server.StopIterAsync(Token);
    }

    [Fact]
    public async Task ARestoreFailingAfterCriuForkedTheRoot_KillsThatRoot()
    {
        // Handles: the restore is cancelled (CRIU killed) after it forked the tree, which would run on half-restored.
        using var root = Process.Start("sleep", "60");
        using var harness = new InProcessHarness
        {
            DuringRestore = notify => notify.SetupNamespacesAsync(root.Id),
            RestoreFailure = new OperationCanceledException("restore cancelled"),
        };
        await harness.Server.StartIterAsync(Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => harness.Local.DumpCopyRestoreAsync(harness.ClientCriu.Object, harness.ClientConfig, "", Token));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        await root.WaitForExitAsync(deadline.Token);

        Assert.Null(harness.Local.RestoredPid);
        await harness.Server.StopIterAsync(Token);
    }

    [Fact]
    public async Task ASuccessfulRestore_LeavesTheRestoredRootRunning()
    {
        using var root = Process.Start("sleep", "60");
        try
        {
            using var harness = new InProcessHarness { DuringRestore = notify => notify.SetupNamespacesAsync(root.Id) };

            await FinalIterationAsync(harness);

            Assert.False(FakePageServers.HasExited(root));
        }
        finally
        {
            root.Kill();
        }
    }

    [Fact]
    public async Task AFailedPageServer_FailsTheDump_BeforeAnyRestore()
    {
        // Handles: the final page server failed, so the destination's pages are incomplete.
        using var harness = new InProcessHarness();
        harness.PageServers.Script = FakePageServers.Writes(FakePageServers.NotFlushed, FakePageServers.SessionOver);
        await harness.Server.StartIterAsync(Token);

        var error = await Assert.ThrowsAsync<CriuException>(
            () => harness.Local.DumpCopyRestoreAsync(harness.ClientCriu.Object, harness.ClientConfig, "", Token));

        Assert.Equal(CriuReqType.PageServerChld, error.RequestType);
        Assert.Null(harness.RestoreOptions);
        await Assert.ThrowsAsync<CriuException>(() => harness.Server.StopIterAsync(Token));
    }

    [Fact]
    public async Task ADumpWithoutPostDumpNotification_IsAnError_NotASilentLoss()
    {
        // Handles: a CRIU wrapper that never delivers post-dump: nothing was restored.
        using var harness = new InProcessHarness { SendPostDump = false };
        await harness.Server.StartIterAsync(Token);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => harness.Local.DumpCopyRestoreAsync(harness.ClientCriu.Object, harness.ClientConfig, "", Token));

        Assert.Contains("post-dump", error.Message);
    }

    [Fact]
    public async Task Statistics_OfDumpAndRestore_AreReported_AndUnreadableOnesAreNotFatal()
    {
        using var harness = new InProcessHarness();
        harness.StatsSource.Setup(s => s.ReadDumpStatsAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
               .ReturnsAsync(Stats.Dump(321));
        harness.StatsSource.Setup(s => s.ReadRestoreStatsAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
               .ThrowsAsync(new InvalidDataException("bad magic"));

        await FinalIterationAsync(harness);

        Assert.Equal(321UL, harness.Local.FinalDump!.PagesWritten);
        Assert.Null(harness.Local.Restore);
        harness.StatsSource.Verify(s => s.ReadDumpStatsAsync(Path.Combine(harness.ClientWdir, "0"), It.IsAny<CancellationToken>()));
        harness.StatsSource.Verify(s => s.ReadRestoreStatsAsync(Path.Combine(harness.ServerWdir, "0"), It.IsAny<CancellationToken>()));
    }

    [Fact]
    public async Task ClientServerAndLocalInOneProcess_MigrateEndToEnd_OverMockedCriu()
    {
        using var harness = new InProcessHarness();
        harness.ClientCriu.Setup(c => c.FeatureCheckAsync(It.IsAny<CriuFeatures>(), It.IsAny<CancellationToken>()))
               .ReturnsAsync(new CriuFeatures { MemTrack = true });
        harness.StatsSource.SetupSequence(s => s.ReadDumpStatsAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
               .ReturnsAsync(Stats.Dump(5000)).ReturnsAsync(Stats.Dump(20, 4980)).ReturnsAsync(Stats.Dump(7, 4993));
        var client = PhaulClient.Create(harness.Local, harness.Server, harness.ClientConfig,
                                        new PhaulClientOptions { Strategy = MigrationStrategy.PreCopy, CriuFactory = () => harness.ClientCriu.Object }, null,
                                        new MigrationDependencies(harness.StatsSource.Object, harness.Directories, harness.MemorySocket));

        var report = await client.MigrateAsync(Token);

        Assert.Equal(MigrationStrategy.PreCopy, report.Strategy);
        Assert.Equal(2, report.Iterations.Count);
        Assert.Equal(4242, report.RestoredPid);
        Assert.Equal(7UL, report.FinalDump!.PagesWritten);
        Assert.Equal(Path.Combine(harness.ServerWdir, "2"), harness.Server.LastImagesDir);
        Assert.Equal("../1", harness.DumpOptions!.ParentImg);
        Assert.All(harness.PageServers.Processes, p => Assert.True(FakePageServers.HasExited(p)));
    }
}
