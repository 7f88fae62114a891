using System.Text.RegularExpressions;
using Google.Protobuf;
using Phaul.Rpc;

namespace Phaul.Transport;

/// <summary>
/// The CRIU options a restore needs, as they travel from the source to the destination inside the restore request:
/// a serialized <see cref="CriuOpts"/> holding only the fields of <see cref="CriuOptionsTemplate.RestoreFields"/>.
/// The destination takes nothing else: whoever holds the key could otherwise name an action script, a configuration
/// file or a library for the destination's CRIU to run as root, or fd numbers of the destination's own process.
/// </summary>
internal static partial class RestoreOptionsWire
{
    /// <summary>The restore part of the source's template, serialized; empty when there is none.</summary>
    public static ByteString ToWire(CriuOpts? template) => CriuOptionsTemplate.RestorePart(template).ToByteString();

    /// <summary>
    /// Reads the options a source sent for the restore. Returns null and sets <paramref name="refusal"/> when they hold
    /// anything outside the allow-list (naming the fields) or an <c>external</c> entry that is not CRIU's
    /// <c>KIND[ID]...</c> syntax.
    /// </summary>
    public static CriuOpts? Accept(ByteString wire, out string refusal)
    {
        refusal = "";
        var received = new CriuOpts();
        try
        {
            received.MergeFrom(wire);
        }
        catch (InvalidProtocolBufferException e)
        {
            refusal = $"the source's CRIU options for the restore are not a CRIU options message: {e.Message}";
            return null;
        }
        var outside = CriuOptionsTemplate.SetFields(received)
                                         .Where(field => !CriuOptionsTemplate.RestoreFields.Contains(field.FieldNumber))
                                         .Select(field => field.Name)
                                         .ToList();
        var accepted = CriuOptionsTemplate.RestorePart(received);
        if (outside.Count == 0 && accepted.CalculateSize() != received.CalculateSize())
            outside.Add("fields this destination does not know");
        if (outside.Count > 0)
        {
            refusal = $"the source asked the restore for CRIU options the destination does not take from a source: {string.Join(", ", outside)} " +
                      $"(allowed: {AllowedNames}); set them on the destination (MigrationListenerOptions.ConfigureRestore) if they are needed";
            return null;
        }
        if (accepted.External.FirstOrDefault(entry => !ExternalSyntax().IsMatch(entry)) is { } bad)
        {
            refusal = $"the source's CRIU option external '{PeerText.Escape(bad)}' is not of the form KIND[ID] or KIND[ID]:VALUE";
            return null;
        }
        return accepted;
    }

    /// <summary>The allowed fields' names, as CRIU's RPC names them.</summary>
    public static string AllowedNames { get; } = string.Join(", ",
        CriuOpts.Descriptor.Fields.InFieldNumberOrder().Where(field => CriuOptionsTemplate.RestoreFields.Contains(field.FieldNumber))
                                  .Select(field => field.Name));

    /// <summary>The names of the fields <paramref name="opts"/> sets, for logs; "none" when there are none.</summary>
    public static string Describe(CriuOpts opts)
    {
        var names = CriuOptionsTemplate.SetFields(opts).Select(field => field.Name).ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    // CRIU's external resources: a kind, an id in brackets, optionally ':' and what to map it to; printable only.
    [GeneratedRegex(@"^[a-z]+\[[\x20-\x5c\x5e-\x7e]*\](:[\x20-\x7e]*)?$")]
    private static partial Regex ExternalSyntax();
}
