using System.CommandLine;
using System.Text;
using Phaul.Cli.Commands;
using Phaul.Rpc;

namespace Phaul.Cli.Parsing;

/// <summary>
/// A CRIU configuration file (<c>--criu-config</c>), read by Phaul on the source in CRIU's syntax: one option a line
/// without the leading "--", its argument after whitespace (in double quotes if it holds whitespace, \" for a quote),
/// '#' to the end of the line a comment. Only the options <c>phaul migrate</c> offers are taken, so that they reach the
/// destination's restore like the same options given on the command line. The file is not handed to CRIU: CRIU lets
/// an RPC client's configuration file override everything the client set (the pid, the images, the page server, the
/// log), and the destination would never see it.
/// </summary>
internal static class CriuConfigFile
{
    /// <summary>Reads <paramref name="path"/>; returns the template its options describe, or null with <paramref name="error"/> naming the file and line.</summary>
    public static CriuOpts? Read(string path, out string error)
    {
        error = "";
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"--criu-config {path}: {e.Message}";
            return null;
        }
        var template = new CriuOpts();
        for (var number = 1; number <= lines.Length; number++)
        {
            if (ReadLine(lines[number - 1], out var lineError) is { } options)
                template.MergeFrom(options);
            else if (lineError.Length > 0)
            {
                error = $"--criu-config {path}, line {number}: {lineError}";
                return null;
            }
        }
        return template;
    }

    /// <summary>The options of one line; null for an empty or comment line, or with <paramref name="error"/> set.</summary>
    private static CriuOpts? ReadLine(string line, out string error)
    {
        error = "";
        var words = Words(line, out var unterminated);
        if (unterminated)
        {
            error = "a double quote is not closed";
            return null;
        }
        if (words.Count == 0)
            return null;
        var options = new CriuCommandOptions();
        var name = words[0].StartsWith("--", StringComparison.Ordinal) ? words[0][2..] : words[0];
        if (!options.ConfigFileNames.Contains(name))
        {
            error = $"'{name}' is not a CRIU option phaul migrate takes (it takes {string.Join(", ", options.ConfigFileNames)})";
            return null;
        }
        var command = new RootCommand();
        foreach (var option in options.All)
            command.Options.Add(option);
        var parsed = command.Parse([$"--{name}", .. words.Skip(1)]);
        if (parsed.Errors.Count > 0)
        {
            error = string.Join("; ", parsed.Errors.Select(e => e.Message));
            return null;
        }
        return options.Bind(parsed) ?? new CriuOpts();
    }

    /// <summary>CRIU's splitting: whitespace between words, double quotes around one, \" inside them, '#' starts a comment.</summary>
    private static List<string> Words(string line, out bool unterminated)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var (quoted, inWord) = (false, false);
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted && c == '\\' && i + 1 < line.Length && line[i + 1] == '"')
                word.Append(line[++i]);
            else if (c == '"')
                (quoted, inWord) = (!quoted, true);
            else if (!quoted && c == '#')
                break;
            else if (!quoted && char.IsWhiteSpace(c))
            {
                if (inWord)
                    words.Add(word.ToString());
                (word, inWord) = (new StringBuilder(), false);
            }
            else
                (_, inWord) = (word.Append(c), true);
        }
        if (inWord)
            words.Add(word.ToString());
        unterminated = quoted;
        return words;
    }
}
