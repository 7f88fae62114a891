using Microsoft.Extensions.Logging;

namespace Phaul.IntegrationTests.PostCopy;

/// <summary>Records every log event with its structured values and text, to find pids and to explain a failure.</summary>
internal sealed class EventLog : ILoggerFactory, ILogger
{
    private readonly List<(int Id, IReadOnlyDictionary<string, object?> Values, string Text)> _events = [];

    /// <summary>Every value logged under <paramref name="name"/> by events with id <paramref name="eventId"/>.</summary>
    public IReadOnlyList<object?> Values(int eventId, string name)
    {
        lock (_events)
            return [.. _events.Where(e => e.Id == eventId && e.Values.ContainsKey(name)).Select(e => e.Values[name])];
    }

    public bool Has(int eventId)
    {
        lock (_events)
            return _events.Any(e => e.Id == eventId);
    }

    public string Text
    {
        get
        {
            lock (_events)
                return string.Join(Environment.NewLine, _events.Select(e => $"[{e.Id}] {e.Text}"));
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
                            Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.First().Value)
            : new Dictionary<string, object?>();
        lock (_events)
            _events.Add((eventId.Id, values, formatter(state, exception)));
    }

    public void Dispose()
    {
    }
}
