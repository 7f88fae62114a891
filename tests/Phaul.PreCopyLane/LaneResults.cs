namespace Phaul.PreCopyLane;

/// <summary>
/// Keeps a scenario's evidence in a directory (inside the VM: on the results share, so it reaches the host):
/// the migration report as JSON, and when a check failed, CRIU's logs from both sides.
/// </summary>
/// <param name="directory">Where to keep them; null keeps nothing.</param>
internal sealed class LaneResults(string? directory)
{
    /// <summary>Keeps the scenario's report, and when a check failed, the logs under each side's directory.</summary>
    public void Save(string name, string? reportJson, IReadOnlyList<LaneCheck> checks, string sourceDirectory, string destinationDirectory)
    {
        if (directory is null)
            return;
        Directory.CreateDirectory(directory);
        if (reportJson is not null)
            File.WriteAllText(Path.Combine(directory, $"{name}.json"), reportJson);
        if (checks.All(c => c.Passed))
            return;
        CopyLogs(sourceDirectory, Path.Combine(directory, $"{name}-logs", "source"));
        CopyLogs(destinationDirectory, Path.Combine(directory, $"{name}-logs", "destination"));
    }

    private static void CopyLogs(string wdir, string target)
    {
        foreach (var log in Directory.EnumerateFiles(wdir, "*.log", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(wdir, log));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(log, copy, overwrite: true);
        }
    }
}
