namespace Phaul.Core.Tests.Fakes;

/// <summary>Every wait in these tests has a deadline: a hang fails the test instead of stalling the run.</summary>
internal static class Deadlines
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static Task WithDeadline(this Task task) => task.WaitAsync(FakeSwrkPeer.Deadline, Ct);

    public static Task<T> WithDeadline<T>(this Task<T> task) => task.WaitAsync(FakeSwrkPeer.Deadline, Ct);
}
