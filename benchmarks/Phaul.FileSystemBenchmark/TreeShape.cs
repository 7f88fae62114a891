using System.Security.Cryptography;

namespace Phaul.FileSystemBenchmark;

/// <summary>A subtree to measure: how it is made, and what changes in it between the bulk copy and the freeze.</summary>
internal sealed record TreeShape(string Name, Action<string> Create, Action<string> Change, string Changes)
{
    private const int SmallFiles = 10_000;
    private const int SmallFileBytes = 4096;
    private const int LargeFiles = 4;
    private const int LargeFileMiB = 256;

    /// <summary>10,000 files of 4 KiB in 100 directories; 10 changed, 10 created, 10 deleted before the freeze.</summary>
    public static TreeShape ManySmallFiles { get; } = new(
        $"{SmallFiles:N0} files of {SmallFileBytes / 1024} KiB",
        root =>
        {
            for (var i = 0; i < SmallFiles; i++)
                WriteRandom(Path.Combine(Directory.CreateDirectory(Path.Combine(root, $"d{i % 100:D2}")).FullName, $"f{i:D5}"), SmallFileBytes);
        },
        root =>
        {
            for (var i = 0; i < 10; i++)
            {
                File.AppendAllText(Path.Combine(root, $"d{i:D2}", $"f{i:D5}"), "changed\n");
                WriteRandom(Path.Combine(root, $"d{i:D2}", $"new{i}"), SmallFileBytes);
                File.Delete(Path.Combine(root, $"d{50 + i:D2}", $"f{50 + i:D5}"));
            }
        },
        "10 files appended to, 10 created, 10 deleted");

    /// <summary>4 files of 256 MiB; one of them grows by 1 MiB before the freeze (a log or a database's journal).</summary>
    public static TreeShape FewLargeFiles { get; } = new(
        $"{LargeFiles} files of {LargeFileMiB} MiB",
        root =>
        {
            for (var i = 0; i < LargeFiles; i++)
                WriteRandom(Path.Combine(root, $"large{i}"), LargeFileMiB << 20);
        },
        root =>
        {
            using var file = new FileStream(Path.Combine(root, "large0"), FileMode.Append);
            file.Write(RandomNumberGenerator.GetBytes(1 << 20));
        },
        "1 MiB appended to one file");

    private static void WriteRandom(string path, int bytes)
    {
        using var file = File.Create(path);
        var chunk = new byte[Math.Min(bytes, 1 << 20)];
        for (var written = 0; written < bytes; written += chunk.Length)
        {
            RandomNumberGenerator.Fill(chunk);
            file.Write(chunk, 0, Math.Min(chunk.Length, bytes - written));
        }
    }
}
