using System.Text.Json;
using System.Text.Json.Serialization;

namespace Phaul.Containers;

/// <summary>
/// The container extension's messages between the source's <see cref="ContainerMigration"/> and the destination's
/// <see cref="ContainerDestination"/>, as JSON: one request to prepare the bundle, one stream of image files, one
/// request to restore.
/// </summary>
internal static class ContainerWire
{
    /// <summary>The name the destination registers the extension under.</summary>
    public const string ExtensionName = "container";

    /// <summary>
    /// The source asks the destination to prepare a bundle for the container (its config.json as the source has it), and
    /// its network as the container sees it: runc restores a container into an empty network namespace. The root file
    /// system is either shared (the same path on both hosts) or copied into the bundle (<paramref name="CopyRootFileSystem"/>).
    /// </summary>
    public sealed record Prepare(string Id, string Config, string RootFileSystem, Network? Network, bool CopyRootFileSystem = false);

    /// <summary>The container's own interfaces (no loopback) and its routes through a gateway.</summary>
    public sealed record Network(IReadOnlyList<Interface> Interfaces, IReadOnlyList<Route> Routes);

    /// <summary>One interface: its name inside the container, MAC address, MTU, addresses as "address/prefix".</summary>
    public sealed record Interface(string Name, string Mac, int Mtu, IReadOnlyList<string> Addresses);

    /// <summary>A route through a gateway: its destination ("default" or "address/prefix"), the gateway, the interface.</summary>
    public sealed record Route(string Destination, string Gateway, string Device);

    /// <summary>The destination's bundle for the container, and the root file system it will run on there.</summary>
    public sealed record Prepared(string Bundle, string RootFileSystem);

    /// <summary>
    /// The source asks the destination to restore the container from the images it streamed; with
    /// <paramref name="LazyPages"/> (post-copy), its memory is fetched afterwards through the session's memory connection.
    /// </summary>
    public sealed record Restore(string Id, bool LazyPages = false);

    /// <summary>
    /// How the restore ended. <see cref="Restored"/> false with <see cref="InDoubt"/> false: the container does not run
    /// at the destination, for certain. <see cref="InDoubt"/>: the destination cannot tell (a failed restore it could not
    /// clean up), so the source must not resume it.
    /// </summary>
    /// <remarks>
    /// <see cref="Lost"/>: a post-copy restore ran the container, then its memory could not all arrive, so it was killed
    /// here (the source's copy is stale). <see cref="RestoreSeconds"/>: from the restore's start to the container running.
    /// </remarks>
    public sealed record Restored(bool Running, int Pid, bool InDoubt, string Error, bool Lost = false, double RestoreSeconds = 0);

    /// <summary>The header of a pre-dump's image stream (the stream of the final dump's images has none): its round, from 1.</summary>
    public sealed record PreDump(int Round);

    /// <summary>The most pre-dumps a migration runs, and a destination takes.</summary>
    public const int MaxPreDumps = 10;

    /// <summary>Where a pre-dump's images are, on either host, next to the final dump's directory: its parent is <c>../NAME</c>.</summary>
    public static string PreDumpDirectory(int round) => $"pre-{round}";

    /// <summary>The source asks how the post-copy restore ended, once its stream is over.</summary>
    public sealed record Outcome(string Id);

    /// <summary>What a request is, to tell the requests apart.</summary>
    public sealed record Envelope(Prepare? Prepare, Restore? Restore, Outcome? Outcome = null);

    public static byte[] Write<T>(T message) => JsonSerializer.SerializeToUtf8Bytes(message, typeof(T), ContainerWireContext.Default);

    /// <exception cref="InvalidDataException">Not such a message.</exception>
    public static T Read<T>(ReadOnlyMemory<byte> bytes) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(bytes.Span, typeof(T), ContainerWireContext.Default) as T
                ?? throw new InvalidDataException($"an empty {typeof(T).Name} message");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not a {typeof(T).Name} message: {e.Message}", e);
        }
    }
}

[JsonSerializable(typeof(ContainerWire.Envelope))]
[JsonSerializable(typeof(ContainerWire.Prepared))]
[JsonSerializable(typeof(ContainerWire.Restored))]
[JsonSerializable(typeof(ContainerWire.Network))]
[JsonSerializable(typeof(ContainerWire.PreDump))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class ContainerWireContext : JsonSerializerContext;
