namespace Phaul.Transport;

/// <summary>How far a destination session got with its migration; see <see cref="SessionState"/>.</summary>
internal enum SessionStage
{
    /// <summary>Before the tree runs here: iterations start and stop and images arrive. A failed restore stays here.</summary>
    Copying,

    /// <summary>The tree was restored and runs here; restored lazily, it still depends on the source for its pages.</summary>
    Restored,

    /// <summary>Every page of the lazily restored tree arrived: it no longer depends on the source.</summary>
    PagesArrived,

    /// <summary>The lazily restored tree was killed because its pages could not all arrive.</summary>
    Lost,
}
