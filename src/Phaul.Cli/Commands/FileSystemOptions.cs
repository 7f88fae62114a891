using System.CommandLine;
using Phaul.Cli.Migration;

namespace Phaul.Cli.Commands;

/// <summary><c>phaul migrate</c>'s file-system options, bound to a <see cref="FileSystemChoice"/>.</summary>
internal sealed class FileSystemOptions
{
    private readonly Option<string[]> _subtree = new("--fs-subtree")
    {
        Description = "Copy this directory tree to the same path on the destination with rsync (repeatable): in bulk while the tree runs, " +
                      "then only what changed during the freeze. The destination must allow it (phaul serve --fs-root) and the path be absent or empty there",
        HelpName = "DIR",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string[]> _shared = new("--fs-shared")
    {
        Description = "A path on storage both hosts share (repeatable): nothing is copied; the destination checks that it exists there before anything starts",
        HelpName = "PATH",
    };

    private readonly Option<string[]> _exclude = new("--fs-exclude")
    {
        Description = "An rsync exclude pattern for the --fs-subtree copies (repeatable); excluded files are neither sent nor deleted",
        HelpName = "PATTERN",
    };

    private readonly Option<bool> _keep = new("--fs-keep")
    {
        Description = "Keep what --fs-subtree copied at the destination when the migration fails (default: it is removed)",
    };

    public IEnumerable<Option> All => [_subtree, _shared, _exclude, _keep];

    public FileSystemChoice Bind(ParseResult parse) =>
        new(parse.GetValue(_subtree) ?? [], parse.GetValue(_shared) ?? [], parse.GetValue(_exclude) ?? [], parse.GetValue(_keep));
}
