namespace Phaul.Transport;

/// <summary>What the destination reported after it restored the migrated tree.</summary>
/// <param name="Pid">The restored tree's root pid on the destination.</param>
/// <param name="Stats">CRIU's restore statistics, or <see langword="null"/> when the destination had none.</param>
/// <param name="ImageFiles">How many image files the source sent after the final dump.</param>
/// <param name="ImageBytes">How many bytes those files held.</param>
/// <param name="TransferAndRestoreTime">From the final dump's post-dump notification (tree frozen) to the destination's answer.</param>
public sealed record RestoredTree(int Pid, RestoreStatistics? Stats, int ImageFiles, long ImageBytes, TimeSpan TransferAndRestoreTime);
