namespace Phaul.Containers;

/// <summary>Which runc to run, on which state directory, with which CRIU.</summary>
public sealed record RuncRuntimeOptions
{
    /// <summary>runc's binary: a path, or a name looked up on PATH. Default "runc".</summary>
    public string Binary { get; init; } = "runc";

    /// <summary>runc's state directory (<c>runc --root</c>); null for runc's own default (/run/runc as root).</summary>
    public string? Root { get; init; }

    /// <summary>The CRIU runc checkpoints and restores with (<c>runc --criu</c>); null: $PHAUL_CRIU if set, else runc's default.</summary>
    public string? CriuPath { get; init; }

    /// <summary>How long one runc command may take before it is killed. Default 10 minutes (a checkpoint of a big container).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(10);
}
