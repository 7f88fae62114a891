using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Phaul.Cli.Hosting;
using Phaul.Cli.Parsing;
using Phaul.Containers;
using Phaul.FileSystem;
using Phaul.Transport;

namespace Phaul.Cli.Commands;

/// <summary>What <c>phaul serve</c> was asked.</summary>
/// <param name="Listen">The address to listen on.</param>
/// <param name="Wdir">Where each session gets its directory of images and logs.</param>
/// <param name="KeyFile">The pre-shared key file.</param>
/// <param name="CriuPath">The CRIU binary; null for $PHAUL_CRIU or PATH.</param>
/// <param name="Verbose">Log at Debug level instead of Information.</param>
/// <param name="FileSystemRoots">Directories under which sources may copy subtrees (<c>--fs-root</c>); none when empty.</param>
/// <param name="KeepImages">Keep a restored session's image files (<c>--keep-images</c>).</param>
/// <param name="KeepFailed">Keep a failed or crashed session's image files (<c>--keep-failed</c>).</param>
/// <param name="InsecurePlaintext">Accept only unencrypted connections (<c>--insecure-plaintext</c>).</param>
/// <param name="Json">Print JSON Lines instead of text (<c>--json</c>).</param>
/// <param name="Containers">Where migrated containers' bundles are made (<c>--containers</c>); null: no container migrations.</param>
/// <param name="RuntimeRoot">The container runtime's state directory (<c>--runtime-root</c>); null for its default.</param>
/// <param name="CgroupParent">The cgroup parent for migrated containers (<c>--cgroup-parent</c>); null keeps the source's.</param>
/// <param name="Bridge">The bridge migrated containers' interfaces are attached to (<c>--bridge</c>); null: none.</param>
/// <param name="NetworkHook">The user's network hook for migrated containers (<c>--network-hook</c>); null: the default attachment.</param>
/// <param name="HandshakeTimeout">The wait for each source's handshake (<c>--handshake-timeout</c>); null for the default.</param>
internal sealed record ServeOptions(IPEndPoint Listen, string Wdir, string KeyFile, string? CriuPath, bool Verbose,
                                    IReadOnlyList<string>? FileSystemRoots = null, bool KeepImages = false, bool KeepFailed = false,
                                    bool InsecurePlaintext = false, bool Json = false, string? Containers = null, string? RuntimeRoot = null,
                                    string? CgroupParent = null, string? Bridge = null, string? NetworkHook = null,
                                    TimeSpan? HandshakeTimeout = null);

/// <summary>
/// <c>phaul serve</c>: the destination service. Accepts authenticated sources, restores the trees
/// they migrate, and runs until SIGINT or SIGTERM, which end it normally (exit code 0).
/// </summary>
internal static class ServeCommand
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var listen = new Option<IPEndPoint>("--listen")
        {
            Description = $"ADDR:PORT to listen on; 0.0.0.0 for every interface, port 0 for any free one",
            HelpName = "ADDR:PORT",
            CustomParser = OptionParsers.Listen!,
            DefaultValueFactory = _ => new IPEndPoint(IPAddress.Loopback, MigrationListenerOptions.DefaultPort),
        };
        var wdir = new Option<string>("--wdir")
        {
            Description = "Directory for the sessions' images and CRIU logs (created, mode 0700, when missing)",
            HelpName = "DIR",
            Required = true,
        };
        var keyFile = CommonOptions.KeyFile();
        var criu = CommonOptions.Criu();
        var verbose = CommonOptions.Verbose();
        var fsRoot = new Option<string[]>("--fs-root")
        {
            Description = "Let sources copy file-system subtrees (phaul migrate --fs-subtree) into this directory or below (repeatable; default: none). " +
                          "The copies are made by rsync --server with arguments this host checks",
            HelpName = "DIR",
        };
        var keepImages = new Option<bool>("--keep-images")
        {
            Description = "Keep a session's image files after its tree runs here (default: removed then, as they hold a copy of the " +
                          "tree's memory; the CRIU logs stay)",
        };
        var keepFailed = new Option<bool>("--keep-failed")
        {
            Description = "Keep the image files of failed sessions, and of sessions a crashed serve left in --wdir, for diagnosis " +
                          "(default: removed, so that failures cannot fill the disk; the CRIU logs stay)",
        };
        var plaintext = CommonOptions.InsecurePlaintext();
        var handshakeTimeout = CommonOptions.HandshakeTimeout();
        var json = new Option<bool>("--json")
        {
            Description = "Print one JSON object per line on stdout (JSON Lines): listening, each session's end (restored or failed), stopping",
        };
        var containers = new Option<string?>("--containers")
        {
            Description = "Let sources migrate runc containers here (phaul migrate --container): each one's bundle is made in DIR/ID " +
                          "(created, mode 0700, when missing) and restored with runc",
            HelpName = "DIR",
        };
        var runtimeRoot = new Option<string?>("--runtime-root")
        {
            Description = "The state directory of the runc that restores containers (runc --root; default: runc's own, /run/runc)",
            HelpName = "DIR",
        };
        var cgroupParent = new Option<string?>("--cgroup-parent")
        {
            Description = "Put migrated containers in cgroup PATH/ID (default: the cgroup path they had on the source)",
            HelpName = "PATH",
        };
        var bridge = new Option<string?>("--bridge")
        {
            Description = "Attach migrated containers' interfaces to this bridge: a veth pair each, with the name, MAC and IP addresses " +
                          "and routes they had on the source (default: containers with interfaces other than loopback are refused)",
            HelpName = "NAME",
        };
        var networkHook = new Option<string?>("--network-hook")
        {
            Description = "Set up migrated containers' networks with this executable instead (their OCI prestart hook: the container's " +
                          "state on stdin, the path of network.json, the interfaces and routes the container had on the source, as its " +
                          "argument; with --bridge too, $PHAUL_DEFAULT_HOOK is the default attachment's script, to run from it)",
            HelpName = "PATH",
        };
        var command = new Command("serve", "Run the destination service: receive migrations and restore them here, until SIGINT or SIGTERM.")
        {
            listen, wdir, keyFile, criu, verbose, fsRoot, keepImages, keepFailed, plaintext, json, containers, runtimeRoot, cgroupParent, bridge,
            networkHook, handshakeTimeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = new ServeOptions(parse.GetValue(listen)!, parse.GetValue(wdir)!, parse.GetValue(keyFile)!,
                                           parse.GetValue(criu), parse.GetValue(verbose), parse.GetValue(fsRoot),
                                           parse.GetValue(keepImages), parse.GetValue(keepFailed), parse.GetValue(plaintext),
                                           parse.GetValue(json), parse.GetValue(containers), parse.GetValue(runtimeRoot), parse.GetValue(cgroupParent),
                                           parse.GetValue(bridge), parse.GetValue(networkHook) is { } hook ? Path.GetFullPath(hook) : null,
                                           parse.GetValue(handshakeTimeout));
            return (int)await RunAsync(options, stdout, stderr, ct).ConfigureAwait(false);
        });
        return command;
    }

    public static async Task<ExitCode> RunAsync(ServeOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (KeyFileInput.TryLoad(options.KeyFile, "serve", stderr) is not { } key || !TryCreateWdir(options.Wdir, "--wdir", stderr)
            || (options.Containers is { } bundles && !TryCreateWdir(bundles, "--containers", stderr)))
            return ExitCode.BadInput;
        if (options.CgroupParent is { } parent && (!parent.StartsWith('/') || parent.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '#' or '\\')))
        {
            stderr.WriteLine($"phaul serve: --cgroup-parent {parent}: must be an absolute cgroup path without spaces, quotes, '#' or '\\' (e.g. /phaul)");
            return ExitCode.BadInput;
        }
        if (options.NetworkHook is { } hook && (!File.Exists(hook) || (File.GetUnixFileMode(hook) & UnixFileMode.UserExecute) == 0))
        {
            stderr.WriteLine($"phaul serve: --network-hook {hook}: no executable file there");
            return ExitCode.BadInput;
        }

        var output = new ServeOutput(stdout, stderr, options.Json);
        using var loggerFactory = CliLogging.Create(CliLogging.ConsoleLevel(options.Verbose, LogLevel.Information));
        MigrationListener listener;
        try
        {
            listener = MigrationListener.Start(WithContainers(new MigrationListenerOptions
            {
                EndPoint = options.Listen,
                Wdir = options.Wdir,
                Key = key,
                Server = options.CriuPath is { } path ? new PhaulServerOptions { CriuFactory = () => new Criu(path) } : null,
                KeepImages = options.KeepImages,
                KeepFailed = options.KeepFailed,
                InsecurePlaintext = options.InsecurePlaintext,
            }.WithHandshakeTimeout(options.HandshakeTimeout)
             .WithFileSystem(new FileSystemDestinationOptions { AllowedRoots = FileSystemRoots(options) }), options, loggerFactory), loggerFactory);
        }
        catch (SocketException e)
        {
            stderr.WriteLine($"phaul serve: cannot listen on {options.Listen}: {e.Message}");
            return ExitCode.Failed;
        }

        await using (listener.ConfigureAwait(false))
        {
            listener.SessionEnded += (_, session) => output.SessionEnded(session);
            output.Listening(listener.LocalEndPoint, Path.GetFullPath(options.Wdir));
            if (options.InsecurePlaintext)
                output.Notice("WARNING: --insecure-plaintext: migrations arrive unencrypted; anyone on the path can read and change them");
            if (options.Containers is { } containerBundles)
                output.Notice($"sources may migrate runc containers here: bundles in {Path.GetFullPath(containerBundles)}" +
                              (options.RuntimeRoot is { } root ? $", runc root {root}" : "") +
                              (options.Bridge is { } bridgeName ? $", their interfaces on bridge {bridgeName}" : "") +
                              (options.NetworkHook is { } userHook ? $", their networks set up by {userHook}" : "") +
                              (options.Bridge is null && options.NetworkHook is null ? ", none with network interfaces (no --bridge)" : ""));
            if (FileSystemRoots(options) is { Count: > 0 } roots)
                output.Notice($"sources may copy file-system subtrees into {string.Join(", ", roots)}" +
                               (RsyncProgram.Find() is null ? "; but rsync is not installed here, so such requests are refused: apt-get install rsync" : ""));
            try
            {
                await listener.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                output.Stopping();
                return ExitCode.Success;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                stderr.WriteLine($"phaul serve: accepting connections on {listener.LocalEndPoint} failed: {e.Message}");
            }
            return ExitCode.Failed;
        }
    }

    private static MigrationListenerOptions WithHandshakeTimeout(this MigrationListenerOptions listener, TimeSpan? timeout) =>
        timeout is { } handshake ? listener with { HandshakeTimeout = handshake } : listener;

    private static MigrationListenerOptions WithContainers(MigrationListenerOptions listener, ServeOptions options, ILoggerFactory loggerFactory) =>
        options.Containers is { } bundles
            ? listener.WithContainers(new ContainerDestinationOptions
            {
                BundlesDirectory = Path.GetFullPath(bundles),
                Runtime = new RuncRuntimeOptions { Root = options.RuntimeRoot, CriuPath = options.CriuPath },
                CgroupParent = options.CgroupParent,
                Bridge = options.Bridge,
                NetworkHook = options.NetworkHook,
            }, loggerFactory)
            : listener;

    // A container's root file system may be copied into its bundle (phaul migrate --copy-rootfs).
    private static List<string> FileSystemRoots(ServeOptions options) =>
        [.. (options.FileSystemRoots ?? []).Concat(options.Containers is { } bundles ? [bundles] : [])
                                            .Select(root => Path.GetFullPath(root) is { Length: > 1 } full ? full.TrimEnd('/') : "/")];

    private static bool TryCreateWdir(string wdir, string option, TextWriter stderr)
    {
        try
        {
            if (!Directory.Exists(wdir))
                Directory.CreateDirectory(wdir, OwnerOnly);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            stderr.WriteLine($"phaul serve: {option} '{wdir}' cannot be created: {e.Message}");
            return false;
        }
    }
}
