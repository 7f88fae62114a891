using System.Net.Sockets;
using Google.Protobuf;
using Phaul.Rpc;

namespace Phaul.Core.Tests.Fakes;

/// <summary>Plays CRIU's swrk on the other end of a real SOCK_SEQPACKET socketpair, in process.</summary>
internal sealed class FakeSwrkPeer : IDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal FakeSwrkPeer(Socket socket, IReadOnlyList<int> callerFds)
    {
        _socket = socket;
        CallerFds = callerFds;
    }

    /// <summary>The caller fds the session was launched with (real CRIU would have them on 4, 5, ...).</summary>
    public IReadOnlyList<int> CallerFds { get; }

    /// <summary>Every request received, in order.</summary>
    public List<CriuReq> Received { get; } = [];

    /// <summary>Completes when the fake CRIU "exits".</summary>
    public Task Exited => _exited.Task;

    public bool WasKilled { get; private set; }

    public async Task<CriuReq> ReceiveAsync()
    {
        var buffer = new byte[SwrkChannel.MaxMessageBytes];
        var length = await _socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(Deadline, TestContext.Current.CancellationToken);
        Assert.True(length > 0, "the client closed the swrk socket instead of sending a request");
        var request = CriuReq.Parser.ParseFrom(buffer, 0, length);
        Received.Add(request);
        return request;
    }

    /// <summary>Receives the next request and checks its type.</summary>
    public async Task<CriuReq> ExpectAsync(CriuReqType type)
    {
        var request = await ReceiveAsync();
        Assert.Equal(type, request.Type);
        return request;
    }

    /// <summary>Whether the client ended the session (closed its end, or killed this fake) within the deadline.</summary>
    public async Task<bool> ClientClosedAsync()
    {
        var buffer = new byte[SwrkChannel.MaxMessageBytes];
        try
        {
            return await _socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(Deadline, TestContext.Current.CancellationToken) == 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    public Task SendAsync(CriuResp response) => SendRawAsync(response.ToByteArray());

    public async Task SendRawAsync(byte[] bytes) =>
        Assert.Equal(bytes.Length, await _socket.SendAsync(bytes, SocketFlags.None).WaitAsync(Deadline, TestContext.Current.CancellationToken));

    public Task ReplySuccessAsync(CriuReqType type) => SendAsync(new CriuResp { Type = type, Success = true });

    /// <summary>Answers the VERSION request every first session starts with.</summary>
    public async Task ServeVersionAsync(int major = 4, int minor = 2, int sublevel = 1)
    {
        var request = await ExpectAsync(CriuReqType.Version);
        Assert.True(request.KeepOpen, "the version check must keep the session open for the real request");
        await SendVersionAsync(major, minor, sublevel);
    }

    public Task SendVersionAsync(int major, int minor, int sublevel) => SendAsync(new CriuResp
    {
        Type = CriuReqType.Version,
        Success = true,
        Version = new CriuVersion { MajorNumber = major, MinorNumber = minor, Sublevel = sublevel },
    });

    /// <summary>Sends a notify and returns the client's notify_success.</summary>
    public async Task<bool> NotifyAsync(string script, int pid = 0)
    {
        await SendAsync(new CriuResp { Type = CriuReqType.Notify, Success = true, Notify = new CriuNotify { Script = script, Pid = pid } });
        var answer = await ExpectAsync(CriuReqType.Notify);
        return answer.NotifySuccess;
    }

    /// <summary>CRIU dies: its socket closes and its process exits.</summary>
    public void Die()
    {
        _socket.Dispose();
        _exited.TrySetResult();
    }

    /// <summary>CRIU exits but its socket stays open, as when a page server it forked holds a copy.</summary>
    public void ExitKeepingSocket() => _exited.TrySetResult();

    internal void MarkKilled()
    {
        WasKilled = true;
        Die();
    }

    public void Dispose() => Die();
}
