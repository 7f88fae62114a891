using System.Net;
using System.Text.Json;
using Phaul.Cli.Hosting;
using Phaul.Transport;

namespace Phaul.Cli.Commands;

/// <summary>
/// What <c>phaul serve</c> prints on stdout: text lines, or with <c>--json</c> one JSON object per line (JSON Lines)
/// that a script can follow: <c>listening</c>, <c>session</c> (each session's end: restored or failed), <c>stopping</c>.
/// In JSON mode notices (warnings, the allowed roots) go to stderr, so that stdout stays machine-readable.
/// </summary>
internal sealed class ServeOutput(TextWriter stdout, TextWriter stderr, bool json)
{
    public const int SchemaVersion = 1;

    private readonly TextWriter _stdout = TextWriter.Synchronized(stdout);

    public void Listening(EndPoint endPoint, string wdir)
    {
        if (!json)
        {
            _stdout.WriteLine($"phaul serve: listening on {endPoint}, sessions under {wdir}; stop with Ctrl-C or SIGTERM");
            return;
        }
        Event("listening", writer =>
        {
            writer.WriteString("endPoint", endPoint.ToString());
            writer.WriteString("wdir", wdir);
        });
    }

    public void Notice(string text) => (json ? stderr : _stdout).WriteLine($"phaul serve: {text}");

    public void SessionEnded(MigrationSessionEndedEventArgs session)
    {
        if (!json)
        {
            _stdout.WriteLine(Describe(session));
            return;
        }
        Event("session", writer =>
        {
            writer.WriteString("session", session.SessionId);
            writer.WriteString("from", session.RemoteEndPoint);
            writer.WriteString("outcome", session.RestoredPid is null ? "failed" : "restored");
            if (session.RestoredPid is { } pid)
                writer.WriteNumber("restoredPid", pid);
            writer.WriteString("directory", session.Directory);
            if (session.RestoredPid is null)
                writer.WriteString("error", session.Error?.Message ?? "ended without a restore");
        });
    }

    public void Stopping()
    {
        if (json)
            Event("stopping", _ => { });
        else
            _stdout.WriteLine("phaul serve: stopping; sessions in progress are ended and their sources resume their trees");
    }

    private void Event(string name, Action<Utf8JsonWriter> fields) =>
        _stdout.WriteLine(JsonOutput.Object(SchemaVersion, writer =>
        {
            writer.WriteString("event", name);
            fields(writer);
        }));

    private static string Describe(MigrationSessionEndedEventArgs session)
    {
        var prefix = $"session {session.SessionId} from {session.RemoteEndPoint}";
        if (session.RestoredPid is { } pid)
            return $"{prefix}: restored, root pid {pid}; images and logs in {session.Directory}";
        return $"{prefix}: failed: {session.Error?.Message ?? "ended without a restore"}";
    }
}
