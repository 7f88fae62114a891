using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Phaul.Rpc;

namespace Phaul.IntegrationTests.Session;

/// <summary>Criu against the real CRIU: requests that need no workload.</summary>
public sealed class CriuServiceTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("phaul-it-criu-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task Version_IsWhatCriuVersionPrints()
    {
        var path = CriuTestEnvironment.RequireCriu();
        using var criu = new Criu(path);

        var version = await criu.GetCriuVersionAsync(Ct);

        var printed = (await RunAsync(path, "--version")).Output.Split('\n').Single(l => l.StartsWith("Version:", StringComparison.Ordinal));
        var parts = printed["Version:".Length..].Trim().Split('.').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal((parts[0] * 10000) + (parts[1] * 100) + (parts.Length > 2 ? parts[2] : 0), version);
        Assert.True(await criu.IsCriuAtLeastAsync(Criu.MinimumVersion, Ct));
    }

    [Fact(Timeout = 120_000)]
    public async Task FeatureCheck_AnswersWhatCriuCheckSaysAboutEachFeature()
    {
        var path = CriuTestEnvironment.RequireCriu();
        using var criu = new Criu(path);

        var answer = await criu.FeatureCheckAsync(new CriuFeatures { MemTrack = true, LazyPages = true }, Ct);

        Assert.Equal((await RunAsync(path, "check", "--feature", "mem_dirty_track")).ExitCode == 0, answer.MemTrack);
        Assert.Equal((await RunAsync(path, "check", "--feature", "uffd-noncoop")).ExitCode == 0, answer.LazyPages);
        TestContext.Current.TestOutputHelper?.WriteLine($"CRIU's features here: {answer}");
    }

    [Fact(Timeout = 120_000)]
    public async Task Check_Passes_AndCpuInfoDumpedHere_ChecksHere()
    {
        var path = CriuTestEnvironment.RequireCriu();
        using var criu = new Criu(path);
        using var images = ImagesDirectory.Open(_dir.FullName);

        await criu.CheckAsync(new CriuOpts { ImagesDirFd = images.Fd, LogFile = "check.log" }, Ct);
        await criu.CpuInfoDumpAsync(new CriuOpts { ImagesDirFd = images.Fd, LogFile = "cpuinfo-dump.log" }, Ct);
        await criu.CpuInfoCheckAsync(new CriuOpts { ImagesDirFd = images.Fd, LogFile = "cpuinfo-check.log" }, Ct);

        Assert.True(File.Exists(Path.Combine(_dir.FullName, "cpuinfo.img")));
    }

    [Fact(Timeout = 120_000)]
    public async Task PreparedSession_ServesKeepOpenRequests_InOneSwrkProcess()
    {
        var path = CriuTestEnvironment.RequireCriu();
        var log = new ListLoggerFactory();
        using var criu = new Criu(path, log);
        using var images = ImagesDirectory.Open(_dir.FullName);

        criu.Prepare();
        await criu.GetCriuVersionAsync(Ct);
        await criu.FeatureCheckAsync(new CriuFeatures { LazyPages = true }, Ct);
        await criu.CpuInfoDumpAsync(new CriuOpts { ImagesDirFd = images.Fd }, Ct);
        await criu.CpuInfoCheckAsync(new CriuOpts { ImagesDirFd = images.Fd }, Ct);

        Assert.Single(log.Events, e => e.Id == 1000);
        Assert.Equal(4, log.Events.Count(e => e.Id == 1002));
    }

    [Fact(Timeout = 120_000)]
    public async Task FailedRequest_CarriesCriusLogTail()
    {
        // Failure handled: CPUINFO_CHECK without a cpuinfo image to compare with.
        var path = CriuTestEnvironment.RequireCriu();
        using var criu = new Criu(path);
        using var images = ImagesDirectory.Open(_dir.FullName);

        var error = await Assert.ThrowsAsync<CriuException>(
            () => criu.CpuInfoCheckAsync(new CriuOpts { ImagesDirFd = images.Fd, LogFile = "cpuinfo-check.log", LogLevel = 4 }, Ct));

        Assert.Equal(CriuReqType.CpuinfoCheck, error.RequestType);
        Assert.NotEmpty(error.LogTail);
        Assert.Equal(File.ReadLines(Path.Combine(_dir.FullName, "cpuinfo-check.log")).Last().Trim(), error.LogTail[^1]);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string path, params string[] arguments)
    {
        var start = new ProcessStartInfo(path, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        return (process.ExitCode, await stdout + await stderr);
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
