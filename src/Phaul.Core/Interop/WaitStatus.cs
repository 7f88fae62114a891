namespace Phaul;

/// <summary>How a child ended, decoded from waitpid's status word.</summary>
internal readonly record struct WaitStatus(int Raw)
{
    public bool Exited => (Raw & 0x7f) == 0;

    public int ExitCode => (Raw >> 8) & 0xff;

    public int TermSignal => Raw & 0x7f;

    public override string ToString() =>
        Exited ? $"exited with code {ExitCode}" : $"was killed by signal {TermSignal}{SignalName(TermSignal)}";

    private static string SignalName(int signal) => signal switch
    {
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => "",
    };
}
