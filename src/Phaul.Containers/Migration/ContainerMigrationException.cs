namespace Phaul.Containers;

/// <summary>
/// A container migration failed. The message says where the container is: running on the source as before (the usual
/// case), or, when <see cref="HandOverInDoubt"/>, paused on the source because the source cannot know whether the
/// destination runs it.
/// </summary>
public sealed class ContainerMigrationException : Exception
{
    /// <summary>Creates one with a message only.</summary>
    public ContainerMigrationException() : this("a container migration failed")
    {
    }

    /// <summary>Creates one with a message only.</summary>
    public ContainerMigrationException(string message) : this(message, null)
    {
    }

    /// <summary>Creates one with a message and its cause.</summary>
    public ContainerMigrationException(string message, Exception? innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates one that says whether the hand-over is in doubt.</summary>
    public ContainerMigrationException(string message, bool handOverInDoubt, Exception? innerException) : base(message, innerException)
    {
        HandOverInDoubt = handOverInDoubt;
    }

    /// <summary>
    /// The source asked the destination to restore the container and got no certain answer: the container stays paused on
    /// the source (not running), and may run on the destination. The message says how to find out and finish.
    /// </summary>
    public bool HandOverInDoubt { get; }
}
