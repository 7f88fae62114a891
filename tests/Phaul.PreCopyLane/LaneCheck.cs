namespace Phaul.PreCopyLane;

/// <summary>One verdict about a scenario's migration.</summary>
/// <param name="Name">What must hold.</param>
/// <param name="Passed">Whether it held.</param>
/// <param name="Detail">The figures it was judged on.</param>
internal sealed record LaneCheck(string Name, bool Passed, string Detail);
