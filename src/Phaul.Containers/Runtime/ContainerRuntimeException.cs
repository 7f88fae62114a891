namespace Phaul.Containers;

/// <summary>
/// A container runtime command failed, or a container was not in the state an operation needs. The message names the
/// command, the container and runc's own words; <see cref="CriuLogTail"/> holds the end of CRIU's log when CRIU ran.
/// </summary>
public sealed class ContainerRuntimeException : Exception
{
    /// <summary>Creates one with a message only.</summary>
    public ContainerRuntimeException() : this("a container runtime command failed")
    {
    }

    /// <summary>Creates one with a message only.</summary>
    public ContainerRuntimeException(string message) : this(message, null)
    {
    }

    /// <summary>Creates one with a message and its cause.</summary>
    public ContainerRuntimeException(string message, Exception? innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates one for a runc command that failed.</summary>
    /// <param name="message">What failed, with runc's own words.</param>
    /// <param name="exitCode">runc's exit code; null when it did not exit by itself (killed, or it did not start).</param>
    /// <param name="criuLogTail">The last lines of CRIU's log; empty when CRIU did not run or left no log.</param>
    public ContainerRuntimeException(string message, int? exitCode, IReadOnlyList<string> criuLogTail) : base(message)
    {
        ExitCode = exitCode;
        CriuLogTail = criuLogTail;
    }

    /// <summary>runc's exit code; null when it did not exit by itself or the failure was not a command's.</summary>
    public int? ExitCode { get; }

    /// <summary>The last lines of CRIU's log for a checkpoint or restore; empty otherwise.</summary>
    public IReadOnlyList<string> CriuLogTail { get; } = [];
}
