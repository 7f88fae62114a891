using Phaul.Rpc;

namespace Phaul.Transport.Tests.Support;

/// <summary>Plays CRIU's restore around its post-restore notification, which holds the restored tree until it returns.</summary>
internal static class GatedRestore
{
    /// <summary>
    /// The tree is restored as <paramref name="pid"/>; CRIU then notifies post-restore and resumes the tree only when
    /// the notification succeeds. A failing notification fails the restore (CRIU kills the held tree).
    /// </summary>
    public static Task<int> RunAsync(ICriuNotify? notify, int pid)
    {
        Assert.NotNull(notify);
        return RunAsync(notify.PostRestoreAsync, pid);
    }

    /// <inheritdoc cref="RunAsync(ICriuNotify?, int)"/>
    public static async Task<int> RunAsync(Func<int, Task> postRestore, int pid)
    {
        try
        {
            await postRestore(pid);
        }
        catch (Exception e)
        {
            throw new CriuException(CriuReqType.Restore, "the post-restore notification failed; the restored tree was killed", innerException: e);
        }
        return pid;
    }
}
