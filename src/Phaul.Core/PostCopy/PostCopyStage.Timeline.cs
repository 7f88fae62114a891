using System.Diagnostics;

namespace Phaul;

internal sealed partial class PostCopyStage
{
    /// <summary>When each step of the stage happened, on the Stopwatch clock.</summary>
    private sealed class Timeline
    {
        private long _imagesWritten;
        private long _daemonReady;
        private long _restoreStarted;
        private long _resumed;

        public void ImagesWritten() => _imagesWritten = Stopwatch.GetTimestamp();

        public void DaemonReady() => _daemonReady = Stopwatch.GetTimestamp();

        public void RestoreStarted() => _restoreStarted = Stopwatch.GetTimestamp();

        public void Resumed() => _resumed = Stopwatch.GetTimestamp();

        /// <summary>
        /// The report; <paramref name="freezeToImagesWritten"/> comes from CRIU's dump log (CRIU's clock),
        /// the rest from this clock, joined at the post-dump notification.
        /// </summary>
        public PostCopyReport Report(TimeSpan? freezeToImagesWritten, LazyPagesStatistics? pages)
        {
            // The destination times its restore up to CRIU's resume; the answer reaching us comes later.
            var restore = pages?.RestoreTime ?? Stopwatch.GetElapsedTime(_restoreStarted, _resumed);
            return new PostCopyReport
            {
                FreezeToResume = freezeToImagesWritten + Stopwatch.GetElapsedTime(_imagesWritten, _restoreStarted) + restore,
                FreezeToImagesWritten = freezeToImagesWritten,
                ImagesToDaemonReady = Stopwatch.GetElapsedTime(_imagesWritten, _daemonReady),
                Restore = restore,
                PagesToFetch = pages?.PagesToFetch,
                PagesTransferred = pages?.PagesTransferred,
                PagesOnDemand = pages?.PagesOnDemand,
                LastPageAfterResume = pages?.LastPageAfterResume,
            };
        }
    }
}
