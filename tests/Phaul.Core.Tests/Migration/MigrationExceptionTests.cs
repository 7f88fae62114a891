using Phaul.Rpc;

namespace Phaul.Core.Tests.Migration;

public class MigrationExceptionTests
{
    [Fact]
    public void Message_SaysWhereAndWhatBecameOfTheTree_BeforeTheCausesLogTail()
    {
        var cause = new CriuException(CriuReqType.Restore, "CRIU reported failure", logTail: ["(00.01) line one", "(00.02) Restoring FAILED."]);
        var cleanup = new IOException("page server failed");

        var error = new MigrationException(MigrationStep.DumpCopyRestore, 2, finalStageCompleted: false, cause, cleanup);

        var lines = error.Message.Split(Environment.NewLine);
        Assert.Equal("Migration failed at DumpCopyRestore (iteration 2). The tree was left running on the source.", lines[0]);
        Assert.StartsWith("Cause: CRIU Restore: CRIU reported failure", lines[1], StringComparison.Ordinal);
        Assert.Contains("(00.02) Restoring FAILED.", lines);
        Assert.Equal("Ending the iteration failed too: page server failed", lines[^1]);
        Assert.Same(cause, error.InnerException);
        Assert.Same(cleanup, error.CleanupFailure);
    }
}
