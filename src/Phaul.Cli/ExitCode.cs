namespace Phaul.Cli;

/// <summary>What <c>phaul</c> exits with.</summary>
internal enum ExitCode
{
    /// <summary>The command did what was asked.</summary>
    Success = 0,

    /// <summary>The command ran and failed (a migration failed, a check found a blocking problem).</summary>
    Failed = 1,

    /// <summary>The command line or an input file was wrong.</summary>
    BadInput = 2,

    /// <summary>Interrupted (SIGINT/SIGTERM).</summary>
    Cancelled = 130,
}
