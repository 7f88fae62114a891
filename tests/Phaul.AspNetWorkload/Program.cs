// A counter held only in this process's memory: GET /count answers how many requests it has served, so a
// request after a migration shows whether the memory moved with the process (a restart would answer 1).
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
var served = 0L;
app.MapGet("/count", () => Interlocked.Increment(ref served).ToString(System.Globalization.CultureInfo.InvariantCulture));
app.Run();
