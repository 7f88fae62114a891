using Microsoft.Extensions.Logging;

namespace Phaul.IntegrationTests.Session;

/// <summary>Collects every log event, to count what the library did.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory, ILogger
{
    private readonly List<EventId> _events = [];

    public IReadOnlyList<EventId> Events
    {
        get
        {
            lock (_events)
                return [.. _events];
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
                            Func<TState, Exception?, string> formatter)
    {
        lock (_events)
            _events.Add(eventId);
    }

    public void Dispose()
    {
    }
}
