using System.Buffers.Binary;
using Google.Protobuf;

namespace Phaul.Core.Tests.Images;

/// <summary>Builds image files in memory with the production writer.</summary>
internal static class ImageBytes
{
    public static async Task<byte[]> WriteAsync(uint imageMagic, IEnumerable<IMessage> entries)
    {
        using var stream = new MemoryStream();
        await CriuImageWriter.WriteAsync(stream, imageMagic, entries, TestContext.Current.CancellationToken);
        return stream.ToArray();
    }

    public static byte[] Words(params uint[] words)
    {
        var bytes = new byte[words.Length * sizeof(uint)];
        for (var i = 0; i < words.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * sizeof(uint)), words[i]);
        return bytes;
    }
}
