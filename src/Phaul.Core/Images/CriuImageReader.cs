using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Google.Protobuf;

namespace Phaul;

/// <summary>
/// Reads a CRIU image file: its magic header (see <see cref="CriuImageMagic"/>), then entries, each a
/// 4-byte little-endian length followed by that many bytes of one protobuf message.
/// </summary>
/// <remarks>
/// Works on any readable stream, seekable or not, and never reads past the entry it returns.
/// Every malformed or truncated input throws <see cref="CriuImageFormatException"/> naming the file,
/// the offset and the problem. Images whose entries are followed by extra payload bytes (pipe and
/// FIFO data, socket queues, TCP streams, ghost files, TTY data) need the entry's schema to skip that
/// payload; this reader frames only the plain sequence of entries. Not thread-safe.
/// </remarks>
internal sealed class CriuImageReader : IAsyncDisposable, IDisposable
{
    /// <summary>The default bound on one entry's size: far above any entry CRIU writes, low enough
    /// that a corrupt length cannot make the reader allocate gigabytes.</summary>
    public const int DefaultMaxEntrySize = 16 * 1024 * 1024;

    private const int WordSize = sizeof(uint);

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly byte[] _word = new byte[WordSize];
    private int _maxEntrySize = DefaultMaxEntrySize;
    private int _entriesRead;

    private CriuImageReader(Stream stream, string fileName, bool leaveOpen)
    {
        _stream = stream;
        FileName = fileName;
        _leaveOpen = leaveOpen;
    }

    /// <summary>The file name used in error messages.</summary>
    public string FileName { get; }

    /// <summary>The leading magic (<see cref="CriuImageMagic.Common"/> or <see cref="CriuImageMagic.Service"/>),
    /// or <see langword="null"/> for the inventory, which has none.</summary>
    public uint? LeadingMagic { get; private set; }

    /// <summary>The image's own magic, for example <see cref="CriuImageMagic.Stats"/>.</summary>
    public uint Magic { get; private set; }

    /// <summary>Bytes consumed so far: the offset of the next entry.</summary>
    public long Position { get; private set; }

    /// <summary>The largest entry accepted, in bytes; a larger declared length throws
    /// <see cref="CriuImageFormatException"/>. Defaults to <see cref="DefaultMaxEntrySize"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int MaxEntrySize
    {
        get => _maxEntrySize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(MaxEntrySize));
            _maxEntrySize = value;
        }
    }

    /// <summary>Starts reading an image from a stream and reads its magic header.</summary>
    /// <param name="stream">The image, positioned at its first byte.</param>
    /// <param name="fileName">The name to use in error messages (usually the file's path).</param>
    /// <param name="expectedMagic">The image's own magic when the caller knows which image this is; the
    /// matching leading magic is checked too. <see langword="null"/> accepts any well-formed header.</param>
    /// <param name="leaveOpen">Whether disposing the reader leaves <paramref name="stream"/> open.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>A reader positioned at the first entry.</returns>
    /// <exception cref="CriuImageFormatException">The file is empty, truncated inside the header, or has the wrong magic.</exception>
    public static async Task<CriuImageReader> OpenAsync(Stream stream, string fileName, uint? expectedMagic = null,
                                                        bool leaveOpen = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        if (!stream.CanRead)
            throw new ArgumentException("The stream must be readable.", nameof(stream));
        var reader = new CriuImageReader(stream, fileName, leaveOpen);
        try
        {
            await reader.ReadHeaderAsync(expectedMagic, cancellationToken).ConfigureAwait(false);
            return reader;
        }
        catch
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Opens an image file and reads its magic header.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="expectedMagic">See <see cref="OpenAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>A reader positioned at the first entry; it owns the file.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CriuImageFormatException">The file is empty, truncated inside the header, or has the wrong magic.</exception>
    public static Task<CriuImageReader> OpenFileAsync(string path, uint? expectedMagic = null,
                                                      CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096,
                                    FileOptions.Asynchronous | FileOptions.SequentialScan);
        return OpenAsync(stream, path, expectedMagic, leaveOpen: false, cancellationToken);
    }

    /// <summary>Reads the next entry's bytes.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The entry's protobuf bytes, or <see langword="null"/> at the end of the file.</returns>
    /// <exception cref="CriuImageFormatException">The entry is truncated or larger than <see cref="MaxEntrySize"/>.</exception>
    public async Task<byte[]?> ReadRawEntryAsync(CancellationToken cancellationToken = default)
    {
        var start = Position;
        var length = await TryReadWordAsync($"the length of entry {_entriesRead}", cancellationToken).ConfigureAwait(false);
        if (length is null)
            return null;
        if (length > (uint)MaxEntrySize)
            throw Malformed(start, $"entry {_entriesRead} declares {length} bytes, more than the maximum of {MaxEntrySize}");
        var payload = new byte[length.Value];
        var read = await _stream.ReadAtLeastAsync(payload, payload.Length, throwOnEndOfStream: false, cancellationToken)
                                .ConfigureAwait(false);
        Position += read;
        if (read < payload.Length)
            throw Malformed(start, $"entry {_entriesRead} declares {length} bytes but the file ends after {read} of them");
        _entriesRead++;
        return payload;
    }

    /// <summary>Reads and parses the next entry.</summary>
    /// <typeparam name="T">The entry's message type.</typeparam>
    /// <param name="parser">The message type's parser, e.g. <c>StatsEntry.Parser</c>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The entry, or <see langword="null"/> at the end of the file.</returns>
    /// <exception cref="CriuImageFormatException">The entry is truncated, too large, or not a valid <typeparamref name="T"/>
    /// (including a proto2 required field missing).</exception>
    public async Task<T?> ReadEntryAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken = default)
        where T : class, IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(parser);
        var start = Position;
        var index = _entriesRead;
        var payload = await ReadRawEntryAsync(cancellationToken).ConfigureAwait(false);
        if (payload is null)
            return null;
        T entry;
        try
        {
            entry = parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Malformed(start, $"entry {index} ({payload.Length} bytes) is not a valid {typeof(T).Name}: {e.Message}", e);
        }
        // Google.Protobuf does not check proto2 required fields while parsing; garbage that happens to
        // parse usually lacks them.
        return entry.IsInitialized()
            ? entry
            : throw Malformed(start, $"entry {index} ({payload.Length} bytes) is not a valid {typeof(T).Name}: required fields are missing");
    }

    /// <summary>Reads the remaining entries' bytes.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>Each entry's protobuf bytes, in file order.</returns>
    /// <exception cref="CriuImageFormatException">An entry is truncated or too large.</exception>
    public async IAsyncEnumerable<byte[]> ReadRawEntriesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await ReadRawEntryAsync(cancellationToken).ConfigureAwait(false) is { } payload)
            yield return payload;
    }

    /// <summary>Reads and parses the remaining entries.</summary>
    /// <typeparam name="T">The entries' message type.</typeparam>
    /// <param name="parser">The message type's parser.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>Each entry, in file order.</returns>
    /// <exception cref="CriuImageFormatException">An entry is truncated, too large, or not a valid <typeparamref name="T"/>.</exception>
    public async IAsyncEnumerable<T> ReadEntriesAsync<T>(MessageParser<T> parser,
                                                         [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, IMessage<T>
    {
        while (await ReadEntryAsync(parser, cancellationToken).ConfigureAwait(false) is { } entry)
            yield return entry;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_leaveOpen)
            _stream.Dispose();
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _leaveOpen ? ValueTask.CompletedTask : _stream.DisposeAsync();

    private async Task ReadHeaderAsync(uint? expectedMagic, CancellationToken cancellationToken)
    {
        var first = await TryReadWordAsync("the magic header", cancellationToken).ConfigureAwait(false)
                    ?? throw Malformed(0, "the file is empty; expected a magic header");
        if (first == CriuImageMagic.Inventory)
        {
            Magic = first;
        }
        else if (first is CriuImageMagic.Common or CriuImageMagic.Service)
        {
            LeadingMagic = first;
            Magic = await TryReadWordAsync("the image magic", cancellationToken).ConfigureAwait(false)
                    ?? throw Malformed(Position, "the file ends after the leading magic; expected the image's own magic");
        }
        else
        {
            throw Malformed(0, $"bad magic: expected {Hex(CriuImageMagic.Common)} (image), {Hex(CriuImageMagic.Service)} " +
                               $"(service file) or {Hex(CriuImageMagic.Inventory)} (inventory), found {Hex(first)}");
        }
        if (expectedMagic is { } expected)
            CheckMagic(expected);
    }

    private void CheckMagic(uint expected)
    {
        var expectedLeading = CriuImageMagic.LeadingMagicFor(expected);
        if (LeadingMagic != expectedLeading)
            throw Malformed(0, $"bad leading magic for image {Hex(expected)}: expected {Hex(expectedLeading)}, found {Hex(LeadingMagic ?? Magic)}");
        if (Magic != expected)
            throw Malformed(LeadingMagic is null ? 0 : WordSize, $"bad image magic: expected {Hex(expected)}, found {Hex(Magic)}");
    }

    /// <summary>Reads a little-endian u32; <see langword="null"/> when the stream ends before its first byte.</summary>
    private async Task<uint?> TryReadWordAsync(string what, CancellationToken cancellationToken)
    {
        var start = Position;
        var read = await _stream.ReadAtLeastAsync(_word, WordSize, throwOnEndOfStream: false, cancellationToken)
                                .ConfigureAwait(false);
        Position += read;
        if (read == 0)
            return null;
        if (read < WordSize)
            throw Malformed(start, $"the file ends {read} byte(s) into {what} ({WordSize} bytes)");
        return BinaryPrimitives.ReadUInt32LittleEndian(_word);
    }

    private CriuImageFormatException Malformed(long offset, string problem, Exception? inner = null) =>
        new(FileName, offset, problem, inner);

    private static string Hex(uint? magic) => magic is { } value ? $"0x{value:X8}" : "none";
}
