using Phaul.Rpc;

namespace Phaul;

/// <summary>How a <see cref="PhaulClient"/> migrates; every property has a working default.</summary>
public sealed class PhaulClientOptions
{
    /// <summary>Whether to pre-copy. Default <see cref="PreCopyMode.Auto"/>: when CRIU reports memory tracking.</summary>
    public PreCopyMode PreCopy { get; init; } = PreCopyMode.Auto;

    /// <summary>When to stop pre-copying. Default: <see cref="ConvergencePolicy"/>'s defaults.</summary>
    public ConvergencePolicy Policy { get; init; } = new();

    /// <summary>CRIU's log level for pre-dumps (0 to 4). Default 4, everything, as logs are the only diagnosis.</summary>
    public int CriuLogLevel { get; init; } = 4;

    /// <summary>
    /// Creates the source's CRIU for one migration; the client disposes it afterwards. Default: a new
    /// <see cref="Criu"/> (CRIU from <c>$PHAUL_CRIU</c> or PATH), prepared before and cleaned up after the loop.
    /// </summary>
    public Func<ICriu>? CriuFactory { get; init; }

    /// <summary>Adjusts each pre-dump's options (e.g. <c>TcpEstablished</c>) after Phaul filled them in.</summary>
    public Action<CriuOpts>? ConfigurePreDump { get; init; }

    internal void Validate()
    {
        if (!Enum.IsDefined(PreCopy))
            throw new ArgumentException($"PhaulClientOptions.PreCopy has no meaning: {PreCopy}.", "options");
        if (CriuLogLevel is < 0 or > 4)
            throw new ArgumentException($"PhaulClientOptions.CriuLogLevel must be 0 to 4, got {CriuLogLevel}.", "options");
        if (Policy is null)
            throw new ArgumentException("PhaulClientOptions.Policy must not be null.", "options");
        Policy.Validate();
    }
}
