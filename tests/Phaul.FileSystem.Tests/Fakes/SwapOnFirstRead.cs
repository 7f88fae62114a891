namespace Phaul.FileSystem.Tests.Fakes;

/// <summary>
/// A destination whose rsync --server sees its target's path changed under it: the swap runs when the first
/// bytes from the source's rsync arrive, after the server started and before it can have looked its target up
/// (it reads the source's protocol version first).
/// </summary>
internal sealed class SwapOnFirstRead(FileSystemDestination destination, Action swap) : IFileSystemDestination
{
    public Task PrepareAsync(FileSystemPlan plan, CancellationToken cancellationToken) => destination.PrepareAsync(plan, cancellationToken);

    public Task RunRsyncServerAsync(IReadOnlyList<string> serverArguments, Stream stdio, CancellationToken cancellationToken) =>
        destination.RunRsyncServerAsync(serverArguments, new SwappingStream(stdio, swap), cancellationToken);

    public Task CompleteAsync(bool migrated, CancellationToken cancellationToken) => destination.CompleteAsync(migrated, cancellationToken);

    private sealed class SwappingStream(Stream inner, Action swap) : Stream
    {
        private bool _swapped;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_swapped)
            {
                swap();
                _swapped = true;
            }
            return await inner.ReadAsync(buffer, cancellationToken);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read asynchronously");

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
