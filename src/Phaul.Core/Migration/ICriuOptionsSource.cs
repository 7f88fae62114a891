using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// A final stage that holds the CRIU options the user stated once for the whole migration (e.g.
/// <c>MigrationConnectionOptions.CriuOptions</c>): the loop merges them into each pre-dump too, so that the user need
/// not state them again in <see cref="PhaulClientOptions.ConfigurePreDump"/>.
/// </summary>
internal interface ICriuOptionsSource
{
    /// <summary>The template; null for none.</summary>
    CriuOpts? CriuOptions { get; }
}
