namespace Phaul.IntegrationTests.Migration;

/// <summary>
/// Makes a directory vanish from its path for a while (renamed beside itself), as if it did not
/// exist on a destination host; puts it back on dispose. Processes inside it are not disturbed.
/// </summary>
internal sealed class HiddenDirectory(string path) : IDisposable
{
    private readonly string _hiddenPath = path + ".hidden";

    public bool WasHidden { get; private set; }

    public void Hide()
    {
        Directory.Move(path, _hiddenPath);
        WasHidden = true;
    }

    public void Dispose()
    {
        if (Directory.Exists(_hiddenPath))
            Directory.Move(_hiddenPath, path);
    }
}
