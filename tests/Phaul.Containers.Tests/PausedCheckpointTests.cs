namespace Phaul.Containers.Tests;

/// <summary>
/// The source's side of a container's hand-over against real runc and CRIU, with two runc roots standing for two hosts
/// (their own bundles and cgroups): whatever fails, the container runs in exactly one place.
/// </summary>
public sealed class PausedCheckpointTests : IAsyncLifetime
{
    private static readonly TimeSpan StillFor = TimeSpan.FromMilliseconds(300);

    private readonly string _id = "phaul-" + Guid.NewGuid().ToString("N")[..8];
    private RuncHost _source = null!;
    private RuncHost _destination = null!;

    public async ValueTask InitializeAsync()
    {
        RuncTestEnvironment.RequireContainers();
        _source = new RuncHost("source");
        _destination = new RuncHost("destination");
        await _source.CreateCounterBundleAsync(_id);
        await _source.RunAsync(_id);
        await _source.WaitForCounterAboveAsync(_id, 2);
    }

    public async ValueTask DisposeAsync()
    {
        if (_destination is not null)
            await _destination.DisposeAsync();
        if (_source is not null)
            await _source.DisposeAsync();
    }

    [Fact]
    public async Task The_state_names_a_running_container_its_pid_and_bundle_and_an_unknown_id_has_none()
    {
        var state = await _source.Runtime.GetStateAsync(_id, TestContext.Current.CancellationToken);

        Assert.NotNull(state);
        Assert.Equal((_id, ContainerStatus.Running, _source.BundlePath(_id)), (state.Id, state.Status, state.Bundle));
        Assert.True(File.Exists($"/proc/{state.Pid}/status"), $"pid {state.Pid} is not a process");
        Assert.Null(await _source.Runtime.GetStateAsync("phaul-no-such-container", TestContext.Current.CancellationToken));
        var bad = await Assert.ThrowsAsync<ArgumentException>(() => _source.Runtime.GetStateAsync("../etc", TestContext.Current.CancellationToken));
        Assert.Contains("'../etc' is not a container id", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checkpointed_it_stays_paused_here_the_destination_restores_it_counting_on_and_commit_removes_it_here()
    {
        var checkpoint = await CheckpointAsync();

        var state = await _source.Runtime.GetStateAsync(_id, TestContext.Current.CancellationToken);
        Assert.Equal(ContainerStatus.Paused, state?.Status);
        var frozenAt = await AssertCounterStillAsync(_source);
        Assert.True(File.Exists(Path.Combine(checkpoint.ImagePath, "pstree.img")), "no pstree.img among the images");

        _destination.ReceiveBundle(_source.BundlePath(_id), _id);
        var restored = await _destination.Runtime.RestoreAsync(_id, _destination.BundlePath(_id), checkpoint.ImagePath,
                                                              _destination.CreateDirectory("restore-work"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(ContainerStatus.Running, restored.Status);
        await _destination.WaitForCounterAboveAsync(_id, frozenAt + 2);

        await checkpoint.CommitAsync(TestContext.Current.CancellationToken);

        Assert.Null(await _source.Runtime.GetStateAsync(_id, TestContext.Current.CancellationToken));
        Assert.Equal(ContainerStatus.Running, (await _destination.Runtime.GetStateAsync(_id, TestContext.Current.CancellationToken))?.Status);
        await Assert.ThrowsAsync<InvalidOperationException>(() => checkpoint.AbandonAsync(TestContext.Current.CancellationToken));
        await _destination.Runtime.DeleteAsync(_id, force: true, TestContext.Current.CancellationToken);
        Assert.Null(await _destination.Runtime.GetStateAsync(_id, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_restore_that_fails_in_CRIU_carries_its_log_and_abandoning_resumes_the_container_here()
    {
        var checkpoint = await CheckpointAsync();
        var frozenAt = _source.ReadCounter(_id);
        File.Delete(Path.Combine(checkpoint.ImagePath, "pstree.img"));
        _destination.ReceiveBundle(_source.BundlePath(_id), _id);

        var failure = await Assert.ThrowsAsync<ContainerRuntimeException>(() => _destination.Runtime.RestoreAsync(
            _id, _destination.BundlePath(_id), checkpoint.ImagePath, _destination.CreateDirectory("restore-work"), cancellationToken:
            TestContext.Current.CancellationToken));
        Assert.Contains($"restoring container '{_id}'", failure.Message, StringComparison.Ordinal);
        Assert.NotEmpty(failure.CriuLogTail);
        Assert.NotEqual(ContainerStatus.Running, (await _destination.Runtime.GetStateAsync(_id, TestContext.Current.CancellationToken))?.Status);

        await checkpoint.AbandonAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ContainerStatus.Running, (await _source.Runtime.GetStateAsync(_id, TestContext.Current.CancellationToken))?.Status);
        await _source.WaitForCounterAboveAsync(_id, frozenAt + 2);
    }

    [Fact]
    public async Task A_destination_without_runc_fails_naming_it_and_abandoning_resumes_the_container_here()
    {
        var checkpoint = await CheckpointAsync();
        var frozenAt = _source.ReadCounter(_id);
        var missing = new RuncRuntime(new RuncRuntimeOptions { Binary = "/nonexistent/runc", Root = _destination.RootPath });

        var failure = await Assert.ThrowsAsync<ContainerRuntimeException>(() => missing.RestoreAsync(
            _id, _destination.BundlePath(_id), checkpoint.ImagePath, _destination.CreateDirectory("restore-work"), cancellationToken:
            TestContext.Current.CancellationToken));
        Assert.Contains("'/nonexistent/runc' was not found", failure.Message, StringComparison.Ordinal);

        await checkpoint.AbandonAsync(TestContext.Current.CancellationToken);
        await _source.WaitForCounterAboveAsync(_id, frozenAt + 2);
    }

    [Fact]
    public async Task A_checkpoint_that_fails_resumes_the_container_and_says_why()
    {
        var images = _source.CreateDirectory("images");
        var brokenCriu = new RuncRuntime(new RuncRuntimeOptions { Root = _source.RootPath, CriuPath = "/nonexistent/criu" });

        var failure = await Assert.ThrowsAsync<ContainerRuntimeException>(() => PausedCheckpoint.CreateAsync(
            brokenCriu, _id, new RuncCheckpointOptions { ImagePath = images, WorkPath = _source.CreateDirectory("work") },
            cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains($"checkpointing container '{_id}'", failure.Message, StringComparison.Ordinal);
        Assert.Equal(ContainerStatus.Running, (await _source.Runtime.GetStateAsync(_id, TestContext.Current.CancellationToken))?.Status);
        await _source.WaitForCounterAboveAsync(_id, _source.ReadCounter(_id) + 2);
    }

    [Fact]
    public async Task A_container_that_is_not_running_or_does_not_exist_is_refused_and_left_as_it_was()
    {
        await _source.Runtime.PauseAsync(_id, TestContext.Current.CancellationToken);
        var options = new RuncCheckpointOptions { ImagePath = _source.CreateDirectory("images"), WorkPath = _source.CreateDirectory("work") };

        var paused = await Assert.ThrowsAsync<ContainerRuntimeException>(() => PausedCheckpoint.CreateAsync(
            _source.Runtime, _id, options, cancellationToken: TestContext.Current.CancellationToken));
        var missing = await Assert.ThrowsAsync<ContainerRuntimeException>(() => PausedCheckpoint.CreateAsync(
            _source.Runtime, "phaul-no-such-container", options, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains($"container '{_id}' is paused: only a running container can be migrated", paused.Message, StringComparison.Ordinal);
        Assert.Contains($"there is no container 'phaul-no-such-container' in runc root {_source.RootPath}", missing.Message, StringComparison.Ordinal);
        Assert.Equal(ContainerStatus.Paused, (await _source.Runtime.GetStateAsync(_id, TestContext.Current.CancellationToken))?.Status);
        Assert.Empty(Directory.EnumerateFileSystemEntries(options.ImagePath));
    }

    private Task<PausedCheckpoint> CheckpointAsync() =>
        PausedCheckpoint.CreateAsync(_source.Runtime, _id,
            new RuncCheckpointOptions { ImagePath = _source.CreateDirectory("images"), WorkPath = _source.CreateDirectory("work") },
            cancellationToken: TestContext.Current.CancellationToken);

    // A paused container's counter must not move: read it, give it time to move, read it again.
    private async Task<long> AssertCounterStillAsync(RuncHost host)
    {
        var before = host.ReadCounter(_id);
        await Task.Delay(StillFor, TestContext.Current.CancellationToken);
        Assert.Equal(before, host.ReadCounter(_id));
        return before;
    }
}
