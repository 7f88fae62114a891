using System.Globalization;
using System.Net.Sockets;
using Phaul;

// The root of the process tree to migrate.
var pid = int.Parse(args[0], CultureInfo.InvariantCulture);

// The memory socket: one connected pair of Unix stream sockets.
var socketPath = Path.Combine(Path.GetTempPath(), $"phaul-{Guid.NewGuid():N}.sock");
var endpoint = new UnixDomainSocketEndPoint(socketPath);
using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
listener.Bind(endpoint);
listener.Listen(1);
using var sourceEnd = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
sourceEnd.Connect(endpoint);
using var destinationEnd = listener.Accept();
File.Delete(socketPath);

// Each side gets an empty working directory; iteration N writes into Wdir/N.
var source = Directory.CreateTempSubdirectory("phaul-source-").FullName;
var destination = Directory.CreateTempSubdirectory("phaul-destination-").FullName;

using var server = PhaulServer.MakePhaulServer(
    new PhaulConfig { Memfd = (int)destinationEnd.Handle, Wdir = destination });
var client = PhaulClient.MakePhaulClient(
    new InProcessLocal(server), server,
    new PhaulConfig { Pid = pid, Memfd = (int)sourceEnd.Handle, Wdir = source });

MigrationReport report = await client.MigrateAsync();
Console.WriteLine($"{report.Strategy} ({report.StopReason}): pid {pid} now runs as {report.RestoredPid}");
Console.WriteLine(report.ToJson());
