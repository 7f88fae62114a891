using Phaul.Rpc;

namespace Phaul.Core.Tests;

public class SchemaTests
{
    [Fact]
    public void ImagesDirFd_DefaultsToMinusOne_LikeCrius()
    {
        Assert.Equal(-1, new CriuOpts().ImagesDirFd);
    }
}
