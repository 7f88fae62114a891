using Phaul.Cli.Migration;
using Phaul.Cli.Tests.Support;

namespace Phaul.Cli.Tests.Commands;

/// <summary>The file-system options of migrate and serve, and how the report shows each copy.</summary>
public class FileSystemOptionTests
{
    private static System.CommandLine.ParseResult Parse(params string[] args) =>
        Program.CreateRootCommand(TextWriter.Null, TextWriter.Null).Parse(args);

    [Fact]
    public void Migrate_binds_repeated_subtrees_and_excludes_and_keep()
    {
        var parsed = Parse("migrate", "--pid", "42", "--to", "h:1", "-k", "key", "--fs-subtree", "/srv/a", "--fs-subtree", "/srv/b",
                           "--fs-exclude", "*.tmp", "--fs-exclude", "cache/", "--fs-keep");

        Assert.Empty(parsed.Errors);
        Assert.Equal(["/srv/a", "/srv/b"], parsed.GetValue<string[]>("--fs-subtree")!);
        Assert.Equal(["*.tmp", "cache/"], parsed.GetValue<string[]>("--fs-exclude")!);
        Assert.True(parsed.GetValue<bool>("--fs-keep"));
        Assert.Empty(parsed.GetValue<string[]>("--fs-shared") ?? []);
    }

    [Fact]
    public void Serve_binds_repeated_roots()
    {
        var parsed = Parse("serve", "--wdir", "/w", "-k", "key", "--fs-root", "/srv", "--fs-root", "/data");

        Assert.Empty(parsed.Errors);
        Assert.Equal(["/srv", "/data"], parsed.GetValue<string[]>("--fs-root")!);
    }

    // Handles: contradictory or incomplete file-system options, named as on the command line.
    [Fact]
    public void Contradictory_or_incomplete_choices_are_named()
    {
        using var dir = new TempDirectory();
        Assert.Null(new FileSystemChoice([dir.Path], [], ["*.tmp"], true).Problem());
        Assert.Null(new FileSystemChoice([], ["/"], [], false).Problem());
        Assert.Contains("choose one mode", new FileSystemChoice([dir.Path], ["/"], [], false).Problem(), StringComparison.Ordinal);
        Assert.Contains("--fs-exclude and --fs-keep apply to --fs-subtree", new FileSystemChoice([], [], ["x"], false).Problem(), StringComparison.Ordinal);
        Assert.Equal($"--fs-subtree {dir.File("gone")}: no such directory", new FileSystemChoice([dir.File("gone")], [], [], false).Problem());
    }

    [Fact]
    public void The_report_shows_each_file_system_copy_with_files_bytes_and_time()
    {
        var report = new MigrationReport
        {
            Pid = 1,
            Strategy = MigrationStrategy.StopAndCopy,
            Hooks =
            [
                new MigrationHookReport
                {
                    Hook = "files", Phase = MigrationHookPhase.BeforeIterations, Duration = TimeSpan.FromSeconds(2.5),
                    Figures = RsyncFigures(files: 10_000, deleted: 0, sent: 45 << 20, received: 190_000),
                },
                new MigrationHookReport
                {
                    Hook = "files", Phase = MigrationHookPhase.AfterPreDump, Iteration = 0, Duration = TimeSpan.FromMilliseconds(40),
                    Figures = RsyncFigures(files: 2, deleted: 1, sent: 900, received: 40),
                },
                new MigrationHookReport
                {
                    Hook = "files", Phase = MigrationHookPhase.WhileFrozen, Duration = TimeSpan.FromMilliseconds(95),
                    Figures = RsyncFigures(files: 1, deleted: 0, sent: 514, received: 49),
                },
                new MigrationHookReport
                {
                    Hook = "dns", Phase = MigrationHookPhase.WhileFrozen, Duration = TimeSpan.FromMilliseconds(3),
                    Figures = new Dictionary<string, long> { ["recordsMoved"] = 2 },
                },
            ],
        };
        var output = new StringWriter();

        ReportWriter.Write(output, new MigrationOutcome(1, report, null, "h:1"));

        var lines = output.ToString().Split(Environment.NewLine);
        Assert.Contains("  files, bulk   10,000 files sent, 0 deleted, 45.0 MiB sent, 185.5 KiB received, 2.50 s while the tree ran", lines);
        Assert.Contains("  files, it. 0  2 files sent, 1 deleted, 900 B sent, 40 B received, 40 ms while the tree ran", lines);
        Assert.Contains("  files, freeze 1 files sent, 0 deleted, 514 B sent, 49 B received, 95 ms with the tree frozen", lines);
        Assert.Contains("  dns, freeze   recordsMoved 2, 3 ms with the tree frozen", lines);
    }

    // As Phaul.FileSystem's hooks report rsync's counts.
    private static Dictionary<string, long> RsyncFigures(long files, long deleted, long sent, long received) => new()
    {
        ["filesTransferred"] = files, ["filesDeleted"] = deleted, ["bytesSent"] = sent, ["bytesReceived"] = received,
    };
}
