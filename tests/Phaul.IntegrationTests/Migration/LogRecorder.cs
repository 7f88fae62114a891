using Microsoft.Extensions.Logging;

namespace Phaul.IntegrationTests.Migration;

/// <summary>Keeps every log event with its structured fields, to find out e.g. which page servers ran.</summary>
internal sealed class LogRecorder : ILoggerFactory, ILogger
{
    private readonly List<LogRecord> _records = [];
    private readonly ITestOutputHelper? _output = TestContext.Current.TestOutputHelper;

    public IReadOnlyList<LogRecord> Records
    {
        get
        {
            lock (_records)
                return [.. _records];
        }
    }

    /// <summary>The values of field <paramref name="name"/> in every event with id <paramref name="eventId"/>.</summary>
    public IReadOnlyList<object?> Values(int eventId, string name) =>
        [.. Records.Where(r => r.EventId.Id == eventId).SelectMany(r => r.Fields).Where(f => f.Key == name).Select(f => f.Value)];

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
                            Func<TState, Exception?, string> formatter)
    {
        IReadOnlyList<KeyValuePair<string, object?>> fields = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
        var record = new LogRecord(logLevel, eventId, formatter(state, exception), [.. fields], exception);
        lock (_records)
            _records.Add(record);
        try
        {
            _output?.WriteLine($"{DateTime.Now:HH:mm:ss.fff} [{logLevel} {eventId.Id}] {record.Message}");
        }
        catch (InvalidOperationException)
        {
            // Logged after the test ended (a background cleanup): kept in Records only.
        }
    }

    public void Dispose()
    {
    }
}

internal sealed record LogRecord(LogLevel Level, EventId EventId, string Message,
                                 IReadOnlyList<KeyValuePair<string, object?>> Fields, Exception? Exception);
