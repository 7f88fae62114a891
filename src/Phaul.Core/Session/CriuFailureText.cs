namespace Phaul;

/// <summary>
/// The message of a <see cref="CriuException"/>: the cause first (CRIU's first real error and its fix), then where the
/// full log is, then the rest. The log tail is quoted only when no cause was found in the log, since then it is all there is.
/// </summary>
internal static class CriuFailureText
{
    public static string Compose(Rpc.CriuReqType requestType, string message, CriuFailureDetails details) =>
        Compose($"CRIU {requestType}", message, details);

    /// <param name="what">What failed, e.g. "CRIU Dump".</param>
    /// <param name="message">Phaul's words for the failure.</param>
    /// <param name="details">What CRIU said and logged.</param>
    public static string Compose(string what, string message, CriuFailureDetails details)
    {
        var nl = Environment.NewLine;
        var errno = details.Errno is { } n ? $" (cr_errno {n}: {new System.ComponentModel.Win32Exception(n).Message})" : "";
        var logPath = details.LogPath is { } path ? $"{nl}Full log: {path}" : "";
        if (details.Cause is { } cause)
        {
            var fix = cause.Fix is { } known ? $"{nl}Fix: {known}" : "";
            return $"{what} failed: {cause.FirstError}{fix}{logPath}{nl}({message}{errno})";
        }
        var text = $"{what}: {message}{errno}";
        // CRIU's message is its first error line, often the one every run logs here: it says nothing then.
        if (!string.IsNullOrEmpty(details.CriuMessage) && !CriuLogDiagnosis.IsBenign(details.CriuMessage))
            text += $"; CRIU said: {details.CriuMessage.TrimEnd()}";
        text += logPath;
        if (details.LogTail.Count > 0)
            text += $"{nl}CRIU log tail:{nl}{string.Join(nl, details.LogTail)}";
        return text;
    }
}
