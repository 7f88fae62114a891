namespace Phaul;

/// <summary>Where a swrk session stands, following what CRIU's service will still serve on it.</summary>
internal enum SwrkSessionState
{
    /// <summary>Serves any request; keep_open requests leave it here.</summary>
    Idle,

    /// <summary>A pre-dump succeeded: CRIU now serves only further pre-dumps and the final dump.</summary>
    PreDumpChain,

    /// <summary>CRIU served its last request and exits.</summary>
    Ended,

    /// <summary>Failed (CRIU died, broke the protocol, or the call was cancelled); CRIU was killed.</summary>
    Broken,
}
