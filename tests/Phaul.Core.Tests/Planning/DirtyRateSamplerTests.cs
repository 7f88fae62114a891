using System.Diagnostics;

namespace Phaul.Core.Tests.Planning;

/// <summary>The dirty rate from pages read twice: a process that rewrites its buffer dirties memory, a sleeping one does not.</summary>
public sealed class DirtyRateSamplerTests
{
    private static readonly DirtyRateSampler Sampler = new(256, TimeSpan.FromMilliseconds(100));

    [Fact]
    public async Task A_process_refilling_its_buffer_with_random_bytes_dirties_memory()
    {
        // dd reads 4 MiB of random bytes into the same buffer again and again: most of its writable pages change.
        using var dd = Start("dd", "if=/dev/urandom", "of=/dev/null", "bs=4M");
        try
        {
            var memory = await Poll.UntilAsync(() => TreeMemory.ReadAnonymousBytes(dd.Id) is >= 4 << 20 and var read ? read : (long?)null,
                                               TimeSpan.FromSeconds(10), "dd's buffer", TestContext.Current.CancellationToken);

            var rate = await Sampler.SampleAsync(dd.Id, memory, TestContext.Current.CancellationToken);

            Assert.NotNull(rate);
            Assert.True(rate > memory, $"dd rewrites its buffer many times a second, yet the sample says {rate:F0} bytes/s of {memory} bytes");
        }
        finally
        {
            Stop(dd);
        }
    }

    [Fact]
    public async Task A_sleeping_process_dirties_nothing()
    {
        using var sleeper = Start("sleep", "60");
        try
        {
            // Once in its sleep, past the loader's writes.
            await Poll.UntilAsync(() => File.ReadAllText($"/proc/{sleeper.Id}/wchan").Contains("nanosleep", StringComparison.Ordinal) ? "" : null,
                                  TimeSpan.FromSeconds(10), "sleep to sleep", TestContext.Current.CancellationToken);

            var rate = await Sampler.SampleAsync(sleeper.Id, 1 << 20, TestContext.Current.CancellationToken);

            Assert.Equal(0, rate);
        }
        finally
        {
            Stop(sleeper);
        }
    }

    [Fact]
    public async Task A_gone_process_has_no_rate()
    {
        using var gone = Start("true");
        await gone.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Null(await Sampler.SampleAsync(gone.Id, 1 << 20, TestContext.Current.CancellationToken));
    }

    private static Process Start(string program, params string[] args) =>
        Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;

    private static void Stop(Process process)
    {
        process.Kill();
        process.WaitForExit();
    }
}
