using System.Globalization;
using System.Text;

namespace Phaul.Transport;

/// <summary>
/// Text a peer chose (an abort reason, a greeting, a file name), made safe for logs and messages: control and
/// non-ASCII characters escaped, so that a peer cannot forge log lines or hide text, and the length bounded.
/// </summary>
internal static class PeerText
{
    /// <summary>The text with every character outside printable ASCII escaped as \uXXXX, cut to <paramref name="maxLength"/> characters.</summary>
    public static string Escape(string text, int maxLength = 200)
    {
        var shown = text.Length > maxLength ? text[..maxLength] : text;
        var escaped = new StringBuilder(shown.Length);
        foreach (var c in shown)
        {
            if (c is >= ' ' and <= '~')
                escaped.Append(c);
            else
                escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
        }
        if (shown.Length < text.Length)
            escaped.Append(CultureInfo.InvariantCulture, $"... ({text.Length} characters)");
        return escaped.ToString();
    }

    /// <summary>The escaped text in single quotes.</summary>
    public static string Quote(string text, int maxLength = 64) => $"'{Escape(text, maxLength)}'";
}
