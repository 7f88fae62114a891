using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Phaul.Cli.Migration;

namespace Phaul.Cli.Hosting;

/// <summary>The logger factory a command hands to Phaul: console logging to stderr and/or migration progress lines.</summary>
internal static class CliLogging
{
    /// <summary>Creates the factory; dispose it to flush the console logger.</summary>
    /// <param name="consoleLevel">The lowest level the console logger writes to stderr; null for no console logging.</param>
    /// <param name="progress">Where to write migration progress lines; null for none.</param>
    public static ILoggerFactory Create(LogLevel? consoleLevel, TextWriter? progress) =>
        LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Trace);
            if (consoleLevel is { } level)
            {
                builder.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
                builder.AddSimpleConsole(options =>
                {
                    options.SingleLine = true;
                    options.TimestampFormat = "HH:mm:ss.fff ";
                });
                builder.AddFilter<ConsoleLoggerProvider>(null, level);
            }
            if (progress is not null)
            {
                builder.AddProvider(new MigrationProgress(progress));
                builder.AddFilter<MigrationProgress>(null, MigrationProgress.LowestLevel);
            }
        });

    /// <summary>The console level for <c>--verbose</c>, else <paramref name="quiet"/>.</summary>
    public static LogLevel? ConsoleLevel(bool verbose, LogLevel? quiet = null) => verbose ? LogLevel.Debug : quiet;
}
