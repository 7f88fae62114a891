namespace Phaul;

/// <summary>The checks both factories run on a <see cref="PhaulConfig"/> before anything starts.</summary>
internal static class PhaulConfigValidation
{
    public static void Validate(PhaulConfig config, bool requirePid)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (requirePid && config.Pid <= 0)
            throw new ArgumentException($"PhaulConfig.Pid must be a process id above 0, got {config.Pid}.", nameof(config));
        if (config.Memfd < 0)
            throw new ArgumentException($"PhaulConfig.Memfd must be an open fd (0 or more), got {config.Memfd}.", nameof(config));
        if (string.IsNullOrEmpty(config.Wdir))
            throw new ArgumentException("PhaulConfig.Wdir must name a directory, got an empty string.", nameof(config));
        if (!Directory.Exists(config.Wdir))
            throw new ArgumentException($"PhaulConfig.Wdir must be an existing directory, got '{config.Wdir}'.", nameof(config));
    }
}
