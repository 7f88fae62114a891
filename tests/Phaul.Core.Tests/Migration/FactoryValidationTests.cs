namespace Phaul.Core.Tests.Migration;

// Bad input must be refused before anything starts, with a message naming the field.
public class FactoryValidationTests
{
    private static readonly string ExistingDir = Path.GetTempPath();

    public static TheoryData<int, int, string, string> BadClientConfigs => new()
    {
        { 0, 3, ExistingDir, "Pid" },
        { -5, 3, ExistingDir, "Pid" },
        { 100, -1, ExistingDir, "Memfd" },
        { 100, 3, "", "Wdir" },
        { 100, 3, "/nonexistent/phaul-wdir", "Wdir" },
    };

    [Theory]
    [MemberData(nameof(BadClientConfigs))]
    public void MakePhaulClient_NamesTheBadField(int pid, int memfd, string wdir, string field)
    {
        var config = new PhaulConfig { Pid = pid, Memfd = memfd, Wdir = wdir };
        var criuCreated = false;
        var options = new PhaulClientOptions { CriuFactory = () => { criuCreated = true; throw new InvalidOperationException(); } };

        var error = Assert.ThrowsAny<ArgumentException>(
            () => PhaulClient.MakePhaulClient(new Moq.Mock<IPhaulLocal>().Object, new Moq.Mock<IPhaulRemote>().Object, config, options));

        Assert.Contains("PhaulConfig." + field, error.Message);
        Assert.Equal("config", error.ParamName);
        Assert.False(criuCreated);
    }

    public static TheoryData<int, string, string> BadServerConfigs => new()
    {
        { -1, ExistingDir, "Memfd" },
        { 3, "", "Wdir" },
        { 3, "/nonexistent/phaul-wdir", "Wdir" },
    };

    [Theory]
    [MemberData(nameof(BadServerConfigs))]
    public void MakePhaulServer_NamesTheBadField_AndCreatesNoCriu(int memfd, string wdir, string field)
    {
        var criuCreated = false;
        var options = new PhaulServerOptions { CriuFactory = () => { criuCreated = true; return new Moq.Mock<ICriu>().Object; } };

        var error = Assert.ThrowsAny<ArgumentException>(
            () => PhaulServer.MakePhaulServer(new PhaulConfig { Pid = 1, Memfd = memfd, Wdir = wdir }, options));

        Assert.Contains("PhaulConfig." + field, error.Message);
        Assert.False(criuCreated);
    }

    [Fact]
    public void MakePhaulServer_DoesNotNeedAPid()
    {
        using var server = PhaulServer.MakePhaulServer(new PhaulConfig { Memfd = 3, Wdir = ExistingDir },
                                                       new PhaulServerOptions { CriuFactory = () => new Moq.Mock<ICriu>().Object });
        Assert.Equal("", server.LastImagesDir);
    }

    [Fact]
    public void NullArguments_AreRefused()
    {
        var config = new PhaulConfig { Pid = 1, Memfd = 3, Wdir = ExistingDir };
        Assert.Throws<ArgumentNullException>(() => PhaulClient.MakePhaulClient(null!, new Moq.Mock<IPhaulRemote>().Object, config));
        Assert.Throws<ArgumentNullException>(() => PhaulClient.MakePhaulClient(new Moq.Mock<IPhaulLocal>().Object, null!, config));
        Assert.Throws<ArgumentNullException>(() => PhaulServer.MakePhaulServer(null!));
    }

    public static TheoryData<PhaulClientOptions, string> BadClientOptions => new()
    {
        { new PhaulClientOptions { MaxIterations = 0 }, "MaxIterations" },
        { new PhaulClientOptions { MaxGrowth = -0.5 }, "MaxGrowth" },
        { new PhaulClientOptions { SkippedShareGoal = 0 }, "SkippedShareGoal" },
        { new PhaulClientOptions { DowntimeTarget = TimeSpan.Zero }, "DowntimeTarget" },
        { new PhaulClientOptions { CriuLogLevel = 5 }, "CriuLogLevel" },
        { new PhaulClientOptions { Strategy = (MigrationStrategy)42 }, "Strategy" },
    };

    [Theory]
    [MemberData(nameof(BadClientOptions))]
    public void MakePhaulClient_NamesTheBadOption(PhaulClientOptions options, string field)
    {
        var config = new PhaulConfig { Pid = 1, Memfd = 3, Wdir = ExistingDir };

        var error = Assert.ThrowsAny<ArgumentException>(
            () => PhaulClient.MakePhaulClient(new Moq.Mock<IPhaulLocal>().Object, new Moq.Mock<IPhaulRemote>().Object, config, options));

        Assert.Contains(field, error.Message);
    }

    public static TheoryData<PhaulServerOptions, string> BadServerOptions => new()
    {
        { new PhaulServerOptions { PageServerExitTimeout = TimeSpan.Zero }, "PageServerExitTimeout" },
        { new PhaulServerOptions { LazyPagesStartTimeout = TimeSpan.FromSeconds(-1) }, "LazyPagesStartTimeout" },
        { new PhaulServerOptions { PostCopyTimeout = TimeSpan.Zero }, "PostCopyTimeout" },
        { new PhaulServerOptions { CriuLogLevel = -1 }, "CriuLogLevel" },
    };

    [Theory]
    [MemberData(nameof(BadServerOptions))]
    public void MakePhaulServer_NamesTheBadOption(PhaulServerOptions options, string field)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => PhaulServer.MakePhaulServer(
            new PhaulConfig { Memfd = 3, Wdir = ExistingDir }, options));
        Assert.Contains(field, error.Message);
    }
}
