namespace Phaul.PreCopyLane;

/// <summary>
/// Keeps a scenario's evidence in a directory (inside the VM: on the results share, so it reaches the host):
/// the migration report as JSON, and when a check failed, CRIU's logs from both sides.
/// </summary>
/// <param name="directory">Where to keep them; null keeps nothing.</param>
internal sealed class LaneResults(string? directory)
{
    public void Save(ScenarioResult result, IReadOnlyList<LaneCheck> checks, string sourceWdir, string destinationWdir)
    {
        if (directory is null)
            return;
        Directory.CreateDirectory(directory);
        var name = result.Scenario.Name;
        if (result.Report is { } report)
            File.WriteAllText(Path.Combine(directory, $"{name}.json"), report.ToJson());
        if (checks.All(c => c.Passed))
            return;
        CopyLogs(sourceWdir, Path.Combine(directory, $"{name}-logs", "source"));
        CopyLogs(destinationWdir, Path.Combine(directory, $"{name}-logs", "destination"));
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
