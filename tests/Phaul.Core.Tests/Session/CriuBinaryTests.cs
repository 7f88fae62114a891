using Phaul.Core.Tests.Fakes;

namespace Phaul.Core.Tests.Session;

[CollectionDefinition(DisableParallelization = true)]
public sealed class ProcessEnvironment;

/// <summary>Where CRIU's binary comes from: the constructor's path, else $PHAUL_CRIU, else PATH. Changes this process's environment, so runs alone.</summary>
[Collection(typeof(ProcessEnvironment))]
public sealed class CriuBinaryTests : IDisposable
{
    private readonly string? _savedCriu = Environment.GetEnvironmentVariable(CriuBinary.EnvironmentVariable);
    private readonly string? _savedPath = Environment.GetEnvironmentVariable("PATH");
    private readonly FakeCriuBinary _fromEnvironment = new("exit 0");
    private readonly FakeCriuBinary _onPath = new("exit 0");

    [Fact]
    public void TheConstructorsPath_WinsOverTheVariable()
    {
        using var fromConstructor = new FakeCriuBinary("exit 0");
        Environment.SetEnvironmentVariable(CriuBinary.EnvironmentVariable, _fromEnvironment.Path);

        Assert.Equal(fromConstructor.Path, CriuBinary.Resolve(fromConstructor.Path));
    }

    [Fact]
    public void TheVariable_WinsOverPath()
    {
        Environment.SetEnvironmentVariable(CriuBinary.EnvironmentVariable, _fromEnvironment.Path);
        Environment.SetEnvironmentVariable("PATH", Path.GetDirectoryName(_onPath.Path));

        Assert.Equal(_fromEnvironment.Path, CriuBinary.Resolve(null));
    }

    [Fact]
    public void WithoutEither_CriuIsLookedUpOnPath()
    {
        Environment.SetEnvironmentVariable(CriuBinary.EnvironmentVariable, null);
        Environment.SetEnvironmentVariable("PATH", "/nonexistent:" + Path.GetDirectoryName(_onPath.Path));

        Assert.Equal(_onPath.Path, CriuBinary.Resolve(null));
    }

    [Fact]
    public void AVariableNamingNothing_IsReportedAsTheVariablesFault()
    {
        Environment.SetEnvironmentVariable(CriuBinary.EnvironmentVariable, "/nonexistent/criu");

        var error = Assert.Throws<FileNotFoundException>(() => CriuBinary.Resolve(null));

        Assert.Contains("from $PHAUL_CRIU", error.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/criu", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoCriuOnPath_SaysSo()
    {
        Environment.SetEnvironmentVariable(CriuBinary.EnvironmentVariable, null);
        Environment.SetEnvironmentVariable("PATH", "/nonexistent");

        var error = Assert.Throws<FileNotFoundException>(() => CriuBinary.Resolve(null));

        Assert.Contains("is not on PATH", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(CriuBinary.EnvironmentVariable, _savedCriu);
        Environment.SetEnvironmentVariable("PATH", _savedPath);
        _fromEnvironment.Dispose();
        _onPath.Dispose();
    }
}
