namespace Phaul.Core.Tests.Fakes;

/// <summary>The process side of a <see cref="FakeSwrkPeer"/>: killing it kills the peer.</summary>
internal sealed class FakeSwrkProcess(FakeSwrkPeer peer, int pid) : ISwrkProcess
{
    public const string ExitDescription = "exited with code 1 (fake)";

    public int Pid { get; } = pid;

    public IReadOnlyList<string> Output { get; set; } = [];

    public void Kill() => peer.MarkKilled();

    public async Task WaitForExitAsync(CancellationToken cancellationToken) =>
        await peer.Exited.WaitAsync(cancellationToken);

    public Task<string> EndAsync(TimeSpan grace) => Task.FromResult(ExitDescription);

    public IReadOnlyList<string> OutputTail(int lines) => Output;

    public void Dispose() => Kill();
}
