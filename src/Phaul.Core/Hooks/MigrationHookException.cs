namespace Phaul;

/// <summary>
/// An <see cref="IMigrationHook"/> failed during the final freeze, which failed the dump: CRIU resumed the tree on the
/// source. The hook's own exception is the <see cref="Exception.InnerException"/>.
/// </summary>
internal sealed class MigrationHookException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MigrationHookException()
    {
    }

    /// <summary>Creates the exception with its message.</summary>
    /// <param name="message">What failed.</param>
    public MigrationHookException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and the hook's exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The hook's exception.</param>
    public MigrationHookException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
