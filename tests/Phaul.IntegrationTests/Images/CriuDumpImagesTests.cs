using System.Diagnostics;
using System.Globalization;

namespace Phaul.IntegrationTests.Images;

/// <summary>Reads the images a real <c>criu dump</c> wrote, through the command line.</summary>
public sealed class CriuDumpImagesTests : IDisposable
{
    private static readonly TimeSpan CriuTimeout = TimeSpan.FromSeconds(60);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("phaul-it-images-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task StatsDump_OfARealDump_ReportsPagesWrittenAndFrozenTime()
    {
        var criu = CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 4, cancellationToken: Ct);

        await DumpAsync(criu, workload.Pid);
        var stats = await CriuImageStats.ReadDumpStatsAsync(_dir.FullName, Ct);

        TestContext.Current.TestOutputHelper?.WriteLine($"stats-dump: {stats}");
        Assert.True(stats.PagesWritten > 0, $"pages_written = {stats.PagesWritten}");
        Assert.True(stats.FrozenTime > 0, $"frozen_time = {stats.FrozenTime}");
        Assert.InRange(stats.PagesWritten, 1UL, stats.PagesScanned);
        await workload.WaitForExitAsync(TimeSpan.FromSeconds(10), Ct); // criu dump ends the dumped tree
    }

    [Fact]
    public async Task EveryPlainImageOfARealDump_IsFramedToItsEnd()
    {
        var criu = CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 4, cancellationToken: Ct);

        await DumpAsync(criu, workload.Pid);

        // The root of the PID namespace is pid 1 inside it, and CRIU names per-task images by that pid.
        await AssertFramedAsync("inventory.img", CriuImageMagic.Inventory, CriuImageMagic.Inventory);
        await AssertFramedAsync("pstree.img", CriuImageMagic.Pstree, CriuImageMagic.Common);
        await AssertFramedAsync("core-1.img", CriuImageMagic.Core, CriuImageMagic.Common);
        await AssertFramedAsync("pagemap-1.img", CriuImageMagic.Pagemap, CriuImageMagic.Common);
    }

    private async Task AssertFramedAsync(string fileName, uint magic, uint headerFirstWord)
    {
        var path = Path.Combine(_dir.FullName, fileName);
        await using var reader = await CriuImageReader.OpenFileAsync(path, magic, Ct);
        var entries = 0;
        await foreach (var _ in reader.ReadRawEntriesAsync(Ct))
            entries++;

        Assert.Equal(headerFirstWord, reader.LeadingMagic ?? reader.Magic);
        Assert.True(entries > 0, $"{fileName} has no entries");
        Assert.Equal(new FileInfo(path).Length, reader.Position);
    }

    private async Task DumpAsync(string criu, int pid)
    {
        var start = new ProcessStartInfo(criu)
        {
            ArgumentList = { "dump", "-t", pid.ToString(CultureInfo.InvariantCulture), "-D", _dir.FullName, "-v4", "-o", "dump.log" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {criu}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(CriuTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;
        if (process.ExitCode != 0)
            Assert.Fail($"criu dump -t {pid} exited {process.ExitCode}: {output}\ndump.log tail:\n{LogTail()}");
    }

    private string LogTail()
    {
        var log = Path.Combine(_dir.FullName, "dump.log");
        return File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(30)) : "(no dump.log)";
    }
}
