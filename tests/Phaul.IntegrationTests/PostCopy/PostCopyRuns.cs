namespace Phaul.IntegrationTests.PostCopy;

/// <summary>
/// The transport's post-copy migrations of a few hundred MiB run alone: on two cores, running beside the
/// in-process ones they can hold a restored tree back until every page arrived before its resume, and the
/// figures those check (pages after the resume) would not be real.
/// </summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class PostCopyRuns;
