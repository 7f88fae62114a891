namespace Phaul;

/// <summary>Finds CRIU's binary: the path given, else <c>$PHAUL_CRIU</c>, else <c>criu</c> on PATH.</summary>
internal static class CriuBinary
{
    /// <summary>The environment variable that names CRIU's binary.</summary>
    public const string EnvironmentVariable = "PHAUL_CRIU";

    /// <summary>The absolute path of an executable CRIU.</summary>
    /// <param name="configuredPath">The path given to <see cref="Criu"/>'s constructor, if any.</param>
    /// <exception cref="FileNotFoundException">No such file, naming where the path came from.</exception>
    /// <exception cref="UnauthorizedAccessException">The file is not executable.</exception>
    public static string Resolve(string? configuredPath)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        var (candidate, source) = !string.IsNullOrEmpty(configuredPath) ? (configuredPath, "the criuPath argument")
            : !string.IsNullOrEmpty(fromEnvironment) ? (fromEnvironment, $"${EnvironmentVariable}")
            : ("criu", "the default");
        var path = candidate.Contains('/', StringComparison.Ordinal) ? Path.GetFullPath(candidate) : SearchPath(candidate);
        if (path is null || !File.Exists(path))
            throw new FileNotFoundException(
                $"CRIU not found: '{candidate}' (from {source}) {(path is null ? "is not on PATH" : "does not exist")}. " +
                $"Install CRIU, or name its binary with Criu's criuPath argument or ${EnvironmentVariable}.", path ?? candidate);
        if (Interop.Access(path, Interop.X_OK) != 0)
            throw new UnauthorizedAccessException($"CRIU at '{path}' (from {source}) is not executable.");
        return path;
    }

    private static string? SearchPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}
