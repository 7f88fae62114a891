using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// Reads the statistics CRIU leaves in an images directory: <c>stats-dump</c> after a dump or
/// pre-dump, <c>stats-restore</c> after a restore. Each is a service file
/// (<see cref="CriuImageMagic.Service"/>, <see cref="CriuImageMagic.Stats"/>) holding exactly one
/// <see cref="StatsEntry"/>. Times in the entries are microseconds.
/// </summary>
internal static class CriuImageStats
{
    /// <summary>The file CRIU writes after a dump or pre-dump.</summary>
    public const string DumpFileName = "stats-dump";

    /// <summary>The file CRIU writes after a restore.</summary>
    public const string RestoreFileName = "stats-restore";

    // Both magics precede the one entry.
    private const long EntryOffset = 2 * sizeof(uint);

    /// <summary>Reads the dump statistics from <c>stats-dump</c> in <paramref name="imagesDir"/>.</summary>
    /// <param name="imagesDir">The directory CRIU dumped into.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Pages scanned, skipped and written, and the freezing and frozen times.</returns>
    /// <exception cref="FileNotFoundException">There is no <c>stats-dump</c> (no dump finished in that directory).</exception>
    /// <exception cref="CriuImageFormatException">The file is malformed, truncated, or has no dump statistics.</exception>
    public static async Task<DumpStatsEntry> ReadDumpStatsAsync(string imagesDir, CancellationToken cancellationToken = default)
    {
        var path = StatsPath(imagesDir, DumpFileName);
        var stream = OpenStatsFile(path, "after a successful dump or pre-dump");
        await using (stream.ConfigureAwait(false))
            return await ReadDumpStatsAsync(stream, path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the restore statistics from <c>stats-restore</c> in <paramref name="imagesDir"/>.</summary>
    /// <param name="imagesDir">The directory CRIU restored from.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Pages compared, skipped and restored, and the forking and restore times.</returns>
    /// <exception cref="FileNotFoundException">There is no <c>stats-restore</c> (no restore finished from that directory).</exception>
    /// <exception cref="CriuImageFormatException">The file is malformed, truncated, or has no restore statistics.</exception>
    public static async Task<RestoreStatsEntry> ReadRestoreStatsAsync(string imagesDir, CancellationToken cancellationToken = default)
    {
        var path = StatsPath(imagesDir, RestoreFileName);
        var stream = OpenStatsFile(path, "after a successful restore");
        await using (stream.ConfigureAwait(false))
            return await ReadRestoreStatsAsync(stream, path, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<DumpStatsEntry> ReadDumpStatsAsync(Stream stream, string fileName, CancellationToken cancellationToken)
    {
        var entry = await ReadStatsEntryAsync(stream, fileName, cancellationToken).ConfigureAwait(false);
        return entry.Dump ?? throw new CriuImageFormatException(fileName, EntryOffset, "the stats entry holds no dump statistics");
    }

    internal static async Task<RestoreStatsEntry> ReadRestoreStatsAsync(Stream stream, string fileName, CancellationToken cancellationToken)
    {
        var entry = await ReadStatsEntryAsync(stream, fileName, cancellationToken).ConfigureAwait(false);
        return entry.Restore ?? throw new CriuImageFormatException(fileName, EntryOffset, "the stats entry holds no restore statistics");
    }

    private static async Task<StatsEntry> ReadStatsEntryAsync(Stream stream, string fileName, CancellationToken cancellationToken)
    {
        var reader = await CriuImageReader.OpenAsync(stream, fileName, CriuImageMagic.Stats, leaveOpen: true, cancellationToken)
                                          .ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            var entry = await reader.ReadEntryAsync(StatsEntry.Parser, cancellationToken).ConfigureAwait(false)
                        ?? throw new CriuImageFormatException(fileName, reader.Position, "the file ends after its header; expected a stats entry");
            var end = reader.Position;
            // CRIU writes exactly one entry; anything after it means the file is not what we think it is.
            if (await reader.ReadRawEntryAsync(cancellationToken).ConfigureAwait(false) is not null)
                throw new CriuImageFormatException(fileName, end, "unexpected data after the stats entry");
            return entry;
        }
    }

    private static string StatsPath(string imagesDir, string fileName)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagesDir);
        return Path.Combine(imagesDir, fileName);
    }

    private static FileStream OpenStatsFile(string path, string whenWritten)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"CRIU statistics file '{path}' does not exist; CRIU writes it {whenWritten}.", path, e);
        }
    }
}
