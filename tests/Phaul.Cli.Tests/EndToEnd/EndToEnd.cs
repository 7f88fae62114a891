namespace Phaul.Cli.Tests.EndToEnd;

/// <summary>
/// The tests that run the built CLI against real CRIU. They run alone, after the other tests:
/// migrations are timing-sensitive and the machine has two cores.
/// </summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class EndToEnd;
