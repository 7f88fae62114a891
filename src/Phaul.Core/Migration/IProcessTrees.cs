namespace Phaul;

/// <summary>Signals every process of a tree, found through /proc/PID/task/TID/children.</summary>
internal interface IProcessTrees
{
    /// <summary>SIGKILLs the tree rooted at <paramref name="root"/>; how many processes were signalled.</summary>
    int Kill(int root);

    /// <summary>SIGCONTs every process of the tree rooted at <paramref name="root"/>; how many were signalled.</summary>
    int Continue(int root);
}
