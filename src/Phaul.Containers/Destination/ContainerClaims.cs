namespace Phaul.Containers;

/// <summary>The container ids a destination's sessions are migrating in, so that two sources cannot bring the same id at once.</summary>
internal sealed class ContainerClaims
{
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <returns>Whether <paramref name="id"/> was free and is now this caller's.</returns>
    public bool TryClaim(string id)
    {
        lock (_lock)
            return _ids.Add(id);
    }

    public void Release(string id)
    {
        lock (_lock)
            _ids.Remove(id);
    }
}
