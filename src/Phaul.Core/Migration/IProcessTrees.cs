namespace Phaul;

/// <summary>Signals every process of a tree, found through /proc/PID/task/TID/children.</summary>
internal interface IProcessTrees
{
    /// <summary>SIGKILLs the tree rooted at <paramref name="root"/>; how many processes were signalled.</summary>
    int Kill(int root);

    /// <summary>SIGCONTs every process of the tree rooted at <paramref name="root"/>; how many were signalled.</summary>
    int Continue(int root);

    /// <summary>
    /// SIGSTOPs every process of the tree rooted at <paramref name="root"/>; how many were signalled. A tree CRIU
    /// holds frozen keeps the stop pending: whatever CRIU then does, resume it (its failure path) or die, the tree
    /// ends stopped or dead, never running.
    /// </summary>
    int Stop(int root);

    /// <summary>
    /// Arms a guard that kills the tree rooted at <paramref name="root"/> if this process dies before the guard is
    /// disposed (<see cref="TreeDeathGuard"/>); with <paramref name="onceUntraced"/>, only once no CRIU traces it any more.
    /// </summary>
    IDisposable GuardAgainstOurDeath(int root, bool onceUntraced = false);
}
