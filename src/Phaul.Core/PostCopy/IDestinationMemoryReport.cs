namespace Phaul;

/// <summary>
/// A destination that reports its virtual-memory accounting before the freeze, so that the source can tell whether
/// it can map the tree for a lazy restore or one from parent images (<see cref="PremapRule"/>). Internal: both
/// destinations Phaul ships (<see cref="PhaulServer"/> in process, the transport's proxy) implement it; for any
/// other <see cref="IPhaulRemote"/> the rule is not judged.
/// </summary>
internal interface IDestinationMemoryReport
{
    /// <summary>The destination's settings; <see langword="null"/> when it could not read them.</summary>
    /// <param name="cancellationToken">Abandons the question.</param>
    Task<DestinationMemory?> ReadDestinationMemoryAsync(CancellationToken cancellationToken);
}
