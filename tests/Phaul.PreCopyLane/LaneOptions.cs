using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Phaul.PreCopyLane;

/// <summary>The lane's command line.</summary>
internal sealed record LaneOptions(IReadOnlyList<ILaneScenario> Selected, string? ResultsDirectory, LogLevel LogLevel,
                                   TimeSpan ScenarioTimeout, bool List)
{
    /// <summary>Parses the arguments; null when they are not understood (unknown option or scenario).</summary>
    public static LaneOptions? Parse(IReadOnlyList<string> args)
    {
        var options = new LaneOptions(Scenarios.All, null, LogLevel.Warning, TimeSpan.FromSeconds(240), false);
        var names = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            switch (args[i])
            {
                case "--results" when value is not null:
                    options = options with { ResultsDirectory = Path.GetFullPath(value) };
                    i++;
                    break;
                case "--log-level" when Enum.TryParse<LogLevel>(value, ignoreCase: true, out var level):
                    options = options with { LogLevel = level };
                    i++;
                    break;
                case "--scenario-timeout" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0:
                    options = options with { ScenarioTimeout = TimeSpan.FromSeconds(seconds) };
                    i++;
                    break;
                case "--list":
                    options = options with { List = true };
                    break;
                case var name when !name.StartsWith('-'):
                    names.Add(name);
                    break;
                default:
                    return null;
            }
        }
        if (names.Count == 0)
            return options;
        var selected = names.Select(n => Scenarios.All.FirstOrDefault(s => s.Name == n)).ToList();
        return selected.Contains(null) ? null : options with { Selected = selected! };
    }
}
