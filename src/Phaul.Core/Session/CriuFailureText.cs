namespace Phaul;

/// <summary>
/// The message of a <see cref="CriuException"/>: the cause first (CRIU's first real error and its fix), then where the
/// full log is, then the rest. The log tail is quoted only when no cause was found in the log, since then it is all there is.
/// </summary>
internal static class CriuFailureText
{
    public static string Compose(Rpc.CriuReqType requestType, string message, CriuFailureDetails details)
    {
        var nl = Environment.NewLine;
        var errno = details.Errno is { } n ? $" (cr_errno {n}: {new System.ComponentModel.Win32Exception(n).Message})" : "";
        var logPath = details.LogPath is { } path ? $"{nl}Full log: {path}" : "";
        if (details.Cause is { } cause)
        {
            var fix = cause.Fix is { } known ? $"{nl}Fix: {known}" : "";
            return $"CRIU {requestType} failed: {cause.FirstError}{fix}{logPath}{nl}({message}{errno})";
        }
        var text = $"CRIU {requestType}: {message}{errno}";
        if (!string.IsNullOrEmpty(details.CriuMessage))
            text += $"; CRIU said: {details.CriuMessage.TrimEnd()}";
        text += logPath;
        if (details.LogTail.Count > 0)
            text += $"{nl}CRIU log tail:{nl}{string.Join(nl, details.LogTail)}";
        return text;
    }
}
