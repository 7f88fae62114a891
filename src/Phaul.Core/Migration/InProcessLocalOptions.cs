using Phaul.Rpc;

namespace Phaul;

/// <summary>How an <see cref="InProcessLocal"/> dumps and restores; every property has a working default.</summary>
internal sealed record InProcessLocalOptions
{
    /// <summary>CRIU's log level for the final dump and the restore (0 to 4). Default 4.</summary>
    public int CriuLogLevel { get; init; } = 4;

    /// <summary>Told the final stage's steps (restored, pages arrived, source resumed or killed); null for none.</summary>
    public IProgress<MigrationProgress>? Progress { get; init; }

    /// <summary>
    /// The CRIU options the user stated for the migration: merged into the final dump, and their restore part
    /// (<see cref="CriuOptionsTemplate.RestorePart"/>) into the restore, before <see cref="ConfigureDump"/> and
    /// <see cref="ConfigureRestore"/>. Null for none.
    /// </summary>
    public CriuOpts? CriuOptions { get; init; }

    /// <summary>Adjusts the final dump's options (e.g. <c>TcpEstablished</c>, <c>ExtUnixSk</c>) after Phaul filled them in.</summary>
    public Action<CriuOpts>? ConfigureDump { get; init; }

    /// <summary>Adjusts the restore's options after Phaul filled them in.</summary>
    public Action<CriuOpts>? ConfigureRestore { get; init; }

    internal void Validate()
    {
        if (CriuLogLevel is < 0 or > 4)
            throw new ArgumentException($"InProcessLocalOptions.CriuLogLevel must be 0 to 4, got {CriuLogLevel}.", "options");
    }
}
