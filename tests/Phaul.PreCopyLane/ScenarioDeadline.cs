namespace Phaul.PreCopyLane;

/// <summary>A scenario's time limit, and the failure it leaves told apart from the lane's own cancellation.</summary>
internal sealed class ScenarioDeadline : IDisposable
{
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationToken _lane;
    private readonly TimeSpan _timeout;

    public ScenarioDeadline(TimeSpan timeout, CancellationToken lane)
    {
        _deadline = CancellationTokenSource.CreateLinkedTokenSource(lane);
        _deadline.CancelAfter(timeout);
        _lane = lane;
        _timeout = timeout;
    }

    public CancellationToken Token => _deadline.Token;

    /// <summary>The failure to report: a cancellation caused by this deadline alone reads as a timeout.</summary>
    public Exception Explain(Exception failure) =>
        failure is OperationCanceledException && _deadline.IsCancellationRequested && !_lane.IsCancellationRequested
            ? new TimeoutException($"The scenario did not finish within {_timeout.TotalSeconds:0} s.", failure)
            : failure;

    public void Dispose() => _deadline.Dispose();
}
