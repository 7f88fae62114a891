using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

/// <summary>The subtree targets of a destination's sessions: each session's own, from preparation to completion.</summary>
public sealed class FileSystemTargetTests : IDisposable
{
    // Preparing only checks that the rsync program exists; these tests run none.
    private const string AnyProgram = "/bin/sh";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _root = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Handles: a session that prepares the empty directory another session created for its copy, then fails: its
    // clean-up emptied the directory, deleting the other session's files.
    [Fact]
    public async Task A_session_cannot_prepare_a_target_another_live_session_prepared_nor_remove_its_files()
    {
        await using var destination = Destination();
        var target = _root.Combine("app");
        await using var holder = await destination.ConnectAsync(TestKeys.Shared);
        await holder.FileSystem().PrepareAsync(Plan(target), Ct);
        var intruder = await destination.ConnectAsync(TestKeys.Shared);

        var refused = await Assert.ThrowsAsync<FileSystemMigrationException>(() => intruder.FileSystem().PrepareAsync(Plan(target), Ct));

        Assert.Contains($"'{target}' is a target another session here holds", refused.Message);
        File.WriteAllText(Path.Combine(target, "copied"), "the holder's copy");
        await intruder.DisposeAsync();
        await destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.Equal("the holder's copy", File.ReadAllText(Path.Combine(target, "copied")));
    }

    // Handles: targets of two sessions, one inside the other: a copy into the outer one could replace a directory
    // of the inner one with a symbolic link the other session's copy would follow.
    [Theory]
    [InlineData("app", "app/data", "lies inside")]
    [InlineData("app/data", "app", "holds")]
    public async Task Targets_of_live_sessions_may_not_nest_until_the_holders_session_ends(string held, string wanted, string relation)
    {
        await using var destination = Destination();
        var holder = await destination.ConnectAsync(TestKeys.Shared);
        await holder.FileSystem().PrepareAsync(Plan(_root.Combine(held)), Ct);
        await using var other = await destination.ConnectAsync(TestKeys.Shared);

        var refused = await Assert.ThrowsAsync<FileSystemMigrationException>(() => other.FileSystem().PrepareAsync(Plan(_root.Combine(wanted)), Ct));

        Assert.Contains($"'{_root.Combine(wanted)}' {relation} '{_root.Combine(held)}', a target another session here holds", refused.Message);
        await holder.DisposeAsync();
        await destination.SessionEnded.WaitAsync(Patience, Ct);
        await other.FileSystem().PrepareAsync(Plan(_root.Combine(wanted)), Ct);
    }

    private FakeDestination Destination() =>
        new(TestKeys.Shared, configure: options => options.WithFileSystem(new FileSystemDestinationOptions { AllowedRoots = [_root.Path], RsyncPath = AnyProgram }));

    private static FileSystemPlan Plan(string target) => new(FileSystemMode.Subtree, [target]);

    public void Dispose() => _root.Dispose();
}
