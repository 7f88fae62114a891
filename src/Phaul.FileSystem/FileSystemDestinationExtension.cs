using Phaul.Transport;

namespace Phaul.FileSystem;

/// <summary>
/// The file-system end of one destination session, reached by the source's <see cref="RemoteFileSystemDestination"/>:
/// a request prepares the plan, a stream is one rsync copy, and the session's end removes a failed copy (unless the
/// plan keeps it) or keeps the copy of a tree restored here, whatever the source said.
/// </summary>
internal sealed class FileSystemDestinationExtension(FileSystemDestination destination) : IDestinationExtension
{
    public async Task<byte[]> HandleRequestAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        await destination.PrepareAsync(FileSystemWire.ReadPlan(request), cancellationToken).ConfigureAwait(false);
        return [];
    }

    public Task HandleStreamAsync(ReadOnlyMemory<byte> header, Stream stream, CancellationToken cancellationToken) =>
        destination.RunRsyncServerAsync(FileSystemWire.ReadArguments(header), stream, cancellationToken);

    public Task EndAsync(bool migrated, CancellationToken cancellationToken) => destination.CompleteAsync(migrated, cancellationToken);
}
