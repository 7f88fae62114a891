using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Phaul.Cli.Hosting;

/// <summary>The logger factory a command hands to Phaul: console logging to stderr, or none.</summary>
internal static class CliLogging
{
    /// <summary>Creates the factory; dispose it to flush the console logger.</summary>
    /// <param name="consoleLevel">The lowest level the console logger writes to stderr; null for no console logging.</param>
    public static ILoggerFactory Create(LogLevel? consoleLevel) =>
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
        });

    /// <summary>The console level for <c>--verbose</c>, else <paramref name="quiet"/>.</summary>
    public static LogLevel? ConsoleLevel(bool verbose, LogLevel? quiet = null) => verbose ? LogLevel.Debug : quiet;
}
