namespace Phaul;

/// <summary>
/// The strategy asked for cannot run between these two ends and falling back was not allowed
/// (<see cref="PhaulClientOptions.AllowFallback"/>). Thrown before the tree is touched; the message says
/// what is missing and how to fix it.
/// </summary>
internal sealed class StrategyUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="requested">The strategy asked for.</param>
    /// <param name="missing">What is missing, each with its fix.</param>
    public StrategyUnavailableException(MigrationStrategy requested, IReadOnlyList<string> missing)
        : base($"Strategy {requested} cannot run: {string.Join("; ", missing ?? [])}. Fix that, or allow a fallback " +
               $"(PhaulClientOptions.AllowFallback) to migrate with the best strategy both ends support.")
    {
        Requested = requested;
        Missing = missing ?? [];
    }

    /// <summary>The strategy asked for.</summary>
    public MigrationStrategy Requested { get; }

    /// <summary>What is missing, each with its fix.</summary>
    public IReadOnlyList<string> Missing { get; }
}
