using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Phaul.Transport.Tests.Support;

/// <summary>Keeps every formatted log message, with its event id, for tests that check what was logged.</summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(EventId Id, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Recorder(Entries);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    /// <summary>The messages logged under one event id.</summary>
    public IReadOnlyList<string> Messages(int eventId) => [.. Entries.Where(entry => entry.Id.Id == eventId).Select(entry => entry.Message)];

    private sealed class Recorder(ConcurrentQueue<(EventId, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((eventId, formatter(state, exception)));
    }
}
