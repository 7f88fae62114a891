namespace Phaul;

/// <summary>
/// A CRIU image file is malformed or truncated: a wrong magic, an entry running past the end of
/// the file, an entry larger than the reader allows, an entry that does not parse, or an entry
/// that should be there and is not. Names the file, the byte offset and the problem.
/// </summary>
internal sealed class CriuImageFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="fileName">The image file (or the name the reader was given for its stream).</param>
    /// <param name="offset">Byte offset in the file where the problem starts.</param>
    /// <param name="problem">What is wrong, in one sentence.</param>
    /// <param name="innerException">The underlying failure (for example a protobuf parse error), if any.</param>
    public CriuImageFormatException(string fileName, long offset, string problem, Exception? innerException = null)
        : base($"CRIU image '{fileName}', offset {offset}: {problem}", innerException)
    {
        FileName = fileName;
        Offset = offset;
        Problem = problem;
    }

    /// <summary>The image file (or the name the reader was given for its stream).</summary>
    public string FileName { get; }

    /// <summary>Byte offset in the file where the problem starts.</summary>
    public long Offset { get; }

    /// <summary>What is wrong, without the file name and offset.</summary>
    public string Problem { get; }
}
