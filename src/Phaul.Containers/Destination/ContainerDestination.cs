using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Phaul.Transport;

namespace Phaul.Containers;

/// <summary>
/// The container end of one destination session: it makes the container's bundle from the source's config.json,
/// receives the checkpoint's images, and restores the container with runc. A container it restored stays, whatever
/// happens to the session afterwards: from then on the source keeps its copy paused until it knows the outcome.
/// </summary>
internal sealed partial class ContainerDestination(ContainerDestinationOptions options, ContainerClaims claims, ILogger logger) : IDestinationExtension
{
    private const string ImagesDirectoryName = "checkpoint";
    private const string RestoreWorkDirectoryName = "restore-work";
    private const string CopiedRootFileSystemName = "rootfs";

    private readonly RuncRuntime _runtime = new(options.Runtime);
    private string? _id;
    private string? _bundle;
    private ContainerWire.Network? _network;
    private bool _imagesReceived;
    private int _preDumps;
    private bool _restored;

    public int? RestoredPid { get; private set; }

    public async Task<byte[]> HandleRequestAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        var envelope = ContainerWire.Read<ContainerWire.Envelope>(request);
        if (envelope.Prepare is { } prepare)
            return ContainerWire.Write(await PrepareAsync(prepare, cancellationToken).ConfigureAwait(false));
        if (envelope.Restore is { } restore)
            return ContainerWire.Write(await RestoreAsync(restore, cancellationToken).ConfigureAwait(false));
        if (envelope.Outcome is { } outcome)
            return ContainerWire.Write(await LazyOutcomeAsync(outcome).ConfigureAwait(false));
        throw new InvalidDataException("a container request that is neither prepare nor restore");
    }

    public async Task HandleStreamAsync(ReadOnlyMemory<byte> header, Stream stream, CancellationToken cancellationToken)
    {
        if (_bundle is null || _imagesReceived || _restored)
            throw new InvalidOperationException(_bundle is null ? "images before the container was prepared" : "a second set of images");
        if (!header.IsEmpty)
        {
            await ReceivePreDumpAsync(ContainerWire.Read<ContainerWire.PreDump>(header), stream, cancellationToken).ConfigureAwait(false);
            return;
        }
        var images = Directory.CreateDirectory(Path.Combine(_bundle, ImagesDirectoryName)).FullName;
        var totals = await ImageArchive.ReceiveAsync(stream, images, cancellationToken).ConfigureAwait(false);
        LinkParent(images, _preDumps);
        _imagesReceived = true;
        logger.ImagesReceived(_id!, totals.Files, totals.Bytes);
    }

    /// <summary>A pre-dump's images, next to where the final dump's will be; rounds come in order, from 1.</summary>
    private async Task ReceivePreDumpAsync(ContainerWire.PreDump preDump, Stream stream, CancellationToken cancellationToken)
    {
        if (preDump.Round != _preDumps + 1 || preDump.Round > ContainerWire.MaxPreDumps)
            throw new InvalidDataException(
                $"pre-dump {preDump.Round} of container '{_id}' after {_preDumps}: they come in order, from 1, at most {ContainerWire.MaxPreDumps}");
        var directory = Directory.CreateDirectory(Path.Combine(_bundle!, ContainerWire.PreDumpDirectory(preDump.Round))).FullName;
        var totals = await ImageArchive.ReceiveAsync(stream, directory, cancellationToken).ConfigureAwait(false);
        LinkParent(directory, _preDumps);
        _preDumps = preDump.Round;
        logger.PreDumpReceived(_id!, preDump.Round, totals.Files, totals.Bytes);
    }

    // CRIU finds a dump's parent through a "parent" link in its directory, as the source's had (the archive carries files only).
    private static void LinkParent(string directory, int parentRound)
    {
        if (parentRound > 0)
            File.CreateSymbolicLink(Path.Combine(directory, "parent"), "../" + ContainerWire.PreDumpDirectory(parentRound));
    }

    public async Task EndAsync(bool migrated, CancellationToken cancellationToken)
    {
        if (_id is null)
            return;
        // A post-copy restore's memory follows past the session's end; what runs here after it needs all of it.
        if (_memoryFollowing is not null)
            await _memoryFollowing.ConfigureAwait(false);
        if (!_restored && _bundle is not null)
        {
            // Nothing runs from it: the config and the images (the container's memory) go.
            Directory.Delete(_bundle, recursive: true);
            logger.BundleRemoved(_id, _bundle);
        }
        claims.Release(_id);
    }

    private async Task<ContainerWire.Prepared> PrepareAsync(ContainerWire.Prepare prepare, CancellationToken cancellationToken)
    {
        if (_id is not null)
            throw new InvalidOperationException($"this session prepared container '{_id}' already");
        RuncRuntime.CheckId(prepare.Id);
        var bundle = Path.Combine(options.BundlesDirectory, prepare.Id);
        var rootFileSystem = prepare.CopyRootFileSystem ? Path.Combine(bundle, CopiedRootFileSystemName) : prepare.RootFileSystem;
        var config = BundleConfig(prepare, bundle, rootFileSystem);
        var created = false;
        if (!claims.TryClaim(prepare.Id))
            throw new InvalidOperationException($"container '{prepare.Id}' is being migrated here by another session");
        try
        {
            if (await _runtime.GetStateAsync(prepare.Id, cancellationToken).ConfigureAwait(false) is { } existing)
                throw new InvalidOperationException($"container '{prepare.Id}' exists here already ({existing.Status.ToString().ToLowerInvariant()}, bundle {existing.Bundle})");
            Directory.CreateDirectory(options.BundlesDirectory);
            if (Directory.Exists(bundle))
                throw new InvalidOperationException($"the bundle directory {bundle} exists here already");
            Directory.CreateDirectory(bundle);
            created = true;
            await RestoreCriuConfig.WriteAsync(bundle, CgroupPath(prepare.Id), cancellationToken).ConfigureAwait(false);
            if (prepare.Network is { Interfaces.Count: > 0 } network)
                await AttachNetworkAsync(prepare.Id, network, bundle, config, cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), config.ToJsonString(), cancellationToken).ConfigureAwait(false);
            (_id, _bundle, _network) = (prepare.Id, bundle, prepare.Network);
            logger.BundlePrepared(prepare.Id, bundle, rootFileSystem);
            return new ContainerWire.Prepared(bundle, rootFileSystem);
        }
        catch
        {
            // A bundle directory left behind would refuse the next attempt (a full disk, a network this host cannot attach).
            if (created)
                RemovePartialBundle(prepare.Id, bundle);
            claims.Release(prepare.Id);
            throw;
        }
    }

    private void RemovePartialBundle(string id, string bundle)
    {
        try
        {
            Directory.Delete(bundle, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.BundleNotRemoved(id, bundle, e);
        }
    }

    /// <summary>
    /// runc restores a container into an empty network namespace: this host's prestart hook (its own, never a source's)
    /// sets up the container's interfaces there again, before CRIU restores its sockets: the default attachment to the
    /// bridge, or the user's hook, given the network as the source described it.
    /// </summary>
    private async Task AttachNetworkAsync(string id, ContainerWire.Network network, string bundle, JsonNode config, CancellationToken cancellationToken)
    {
        if (options.Bridge is null && options.NetworkHook is null)
            throw new InvalidOperationException(
                $"container '{id}' has network interfaces ({string.Join(", ", network.Interfaces.Select(i => $"{i.Name} {string.Join(' ', i.Addresses)}"))}), " +
                "and this destination attaches containers to no bridge (phaul serve --bridge) and has no network hook (--network-hook)");
        // The default script's checks are the syntax checks of every value: a user's hook gets only values that pass them.
        var script = BridgeAttachment.Script(id, network, options.Bridge ?? BridgeAttachment.PlaceholderBridge);
        var scriptPath = Path.Combine(bundle, BridgeAttachment.ScriptName);
        JsonObject hook;
        if (options.NetworkHook is { } userHook)
        {
            var networkPath = Path.Combine(bundle, "network.json");
            await File.WriteAllBytesAsync(networkPath, ContainerWire.Write(network), cancellationToken).ConfigureAwait(false);
            var environment = new JsonArray("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", $"PHAUL_CONTAINER_ID={id}", $"PHAUL_NETWORK={networkPath}");
            if (options.Bridge is not null)
            {
                await File.WriteAllTextAsync(scriptPath, script, cancellationToken).ConfigureAwait(false);
                environment.Add($"PHAUL_DEFAULT_HOOK={scriptPath}");
            }
            hook = new JsonObject { ["path"] = userHook, ["args"] = new JsonArray(userHook, networkPath), ["env"] = environment };
        }
        else
        {
            await File.WriteAllTextAsync(scriptPath, script, cancellationToken).ConfigureAwait(false);
            hook = new JsonObject { ["path"] = "/bin/sh", ["args"] = new JsonArray("sh", scriptPath) };
        }
        config["hooks"] = new JsonObject { ["prestart"] = new JsonArray(hook) };
    }

    /// <summary>
    /// The source's config.json as this host runs it: the root file system where it is shared, this host's cgroup parent
    /// and CRIU configuration.
    /// </summary>
    private JsonNode BundleConfig(ContainerWire.Prepare prepare, string bundle, string rootFileSystem)
    {
        JsonNode config;
        try
        {
            config = JsonNode.Parse(prepare.Config) ?? throw new InvalidDataException("config.json is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"container '{prepare.Id}': its config.json is not JSON: {e.Message}", e);
        }
        // OCI hooks are commands the runtime runs on this host as root: this host's user gives those, not a source.
        if (config["hooks"] is JsonObject { Count: > 0 })
            throw new InvalidOperationException($"container '{prepare.Id}' has OCI hooks in its config.json: a destination does not run commands a source sends");
        if (!prepare.CopyRootFileSystem && (!Path.IsPathRooted(prepare.RootFileSystem) || !Directory.Exists(prepare.RootFileSystem)))
            throw new InvalidOperationException(
                $"container '{prepare.Id}': its root file system {prepare.RootFileSystem} is not here: it must be on storage both hosts share, " +
                "at the same path, or be copied (phaul migrate --copy-rootfs)");
        if (config["root"] is not JsonObject root || config["linux"] is not JsonObject linux)
            throw new InvalidDataException($"container '{prepare.Id}': its config.json has no root or no linux section");
        root["path"] = rootFileSystem;
        if (CgroupPath(prepare.Id) is { } cgroupPath)
            linux["cgroupsPath"] = cgroupPath;
        RestoreCriuConfig.Annotate(config.AsObject(), bundle);
        return config;
    }

    /// <summary>The cgroup this host gives container <paramref name="id"/>; null when it keeps the source's.</summary>
    private string? CgroupPath(string id) => options.CgroupParent is { } parent ? $"{parent.TrimEnd('/')}/{id}" : null;

    private async Task<ContainerWire.Restored> RestoreAsync(ContainerWire.Restore restore, CancellationToken cancellationToken)
    {
        var images = CheckRestorable(restore.Id);
        if (restore.LazyPages)
            return await LazyRestoreAsync(restore.Id, images, cancellationToken).ConfigureAwait(false);
        var work = Directory.CreateDirectory(Path.Combine(_bundle!, RestoreWorkDirectoryName)).FullName;
        var restored = await RestoreFromAsync(restore.Id, images, work, lazyPages: false, Stopwatch.GetTimestamp(), cancellationToken).ConfigureAwait(false);
        if (_restored)
            RemoveImages(images);
        return restored;
    }

    /// <returns>The images directory of container <paramref name="id"/>, which this session can restore now.</returns>
    private string CheckRestorable(string id)
    {
        if (_bundle is null || id != _id || !_imagesReceived || _restored || _memoryFollowing is not null)
            throw new InvalidOperationException($"restore of container '{id}' before its bundle and images, or twice");
        return Path.Combine(_bundle, ImagesDirectoryName);
    }

    /// <summary>
    /// Restores the container with runc; a restore that fails is cleaned up, or else counts as in doubt. The time it took
    /// counts from <paramref name="started"/>.
    /// </summary>
    private async Task<ContainerWire.Restored> RestoreFromAsync(string id, string images, string work, bool lazyPages, long started,
                                                                CancellationToken cancellationToken)
    {
        try
        {
            var state = await _runtime.RestoreAsync(id, _bundle!, images, work, tcpEstablished: true, lazyPages, cancellationToken).ConfigureAwait(false);
            _restored = true;
            RestoredPid = state.Pid;
            var took = Stopwatch.GetElapsedTime(started);
            logger.ContainerRestored(id, state.Pid);
            if (_network is { } network)
                await AddressAnnouncement.SendAsync(state.Pid, BridgeAttachment.Ipv4Addresses(network), logger).ConfigureAwait(false);
            return new ContainerWire.Restored(state.Status == ContainerStatus.Running, state.Pid, InDoubt: false, "", RestoreSeconds: took.TotalSeconds);
        }
        catch (ContainerRuntimeException e)
        {
            var inDoubt = !await CleanUpFailedRestoreAsync(id).ConfigureAwait(false);
            _restored = inDoubt; // What may run here keeps its bundle.
            return new ContainerWire.Restored(false, 0, inDoubt, e.Message);
        }
    }

    /// <returns>Whether the container is certainly not here now.</returns>
    private async Task<bool> CleanUpFailedRestoreAsync(string id)
    {
        try
        {
            if (await _runtime.GetStateAsync(id, CancellationToken.None).ConfigureAwait(false) is not null)
                await _runtime.DeleteAsync(id, force: true, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (ContainerRuntimeException e)
        {
            logger.FailedRestoreNotCleanedUp(id, e);
            return false;
        }
    }

    // The images hold the container's memory: once it runs here they are only a copy of secrets.
    private void RemoveImages(string images)
    {
        var preDumps = Enumerable.Range(1, _preDumps).Select(round => Path.Combine(_bundle!, ContainerWire.PreDumpDirectory(round)));
        foreach (var directory in preDumps.Prepend(images))
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException e)
            {
                logger.ImagesNotRemoved(directory, e);
            }
        }
    }
}
