using Phaul.Cli.Tests.Support;
using Phaul.Transport;

namespace Phaul.Cli.Tests.Commands;

/// <summary>Bad command lines and inputs are refused before anything runs, with a message naming the problem.</summary>
public class CommandLineTests
{
    [Theory]
    [InlineData("abc", "--pid must be a process id (a number above 0), got 'abc'")]
    [InlineData("0", "--pid must be a process id (a number above 0), got '0'")]
    [InlineData("-5", "--pid must be a process id (a number above 0), got '-5'")]
    public async Task A_bad_pid_is_refused(string pid, string message)
    {
        var result = await PhaulCli.RunAsync("migrate", "--pid", pid, "--to", "192.0.2.7:7480", "--key-file", "/nonexistent/key");

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Run 'phaul migrate --help' for usage.", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("192.0.2.7:99999", "'99999' is not a port number")]
    [InlineData("192.0.2.7:", "'' is not a port number")]
    [InlineData("192.0.2.7:http", "'http' is not a port number")]
    [InlineData(":7480", "the host is missing")]
    [InlineData("host.example:0", "port 0 cannot be connected to")]
    [InlineData("[2001:db8::7:7480", "an IPv6 address goes in brackets")]
    [InlineData("bad_host!:7480", "'bad_host!' is neither an IP address nor a host name")]
    public async Task A_bad_destination_is_refused(string to, string message)
    {
        var result = await PhaulCli.RunAsync("migrate", "--pid", "1", "--to", to, "--key-file", "/nonexistent/key");

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains($"--to '{to}'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_required_options_are_named()
    {
        var result = await PhaulCli.RunAsync("migrate", "--pid", "1");

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains("'--to' is required", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("'--key-file' is required", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_destination_that_accepts_and_stays_silent_fails_the_migration_after_the_handshake_timeout_given()
    {
        // Failure handled: a port that accepts but never answers; the tree is never touched and the wait is --handshake-timeout.
        using var dir = new TempDirectory();
        var key = dir.File("key");
        PreSharedKey.GenerateFile(key);
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();

        var result = await PhaulCli.RunAsync("migrate", "--pid", $"{Environment.ProcessId}", "--to", $"{silent.LocalEndpoint}", "--key-file", key,
                                             "--handshake-timeout", "1s");

        Assert.NotEqual(ExitCode.Success, result.ExitCode);
        Assert.Contains("did not complete within 1 s", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_key_file_says_how_to_make_one()
    {
        using var dir = new TempDirectory();
        var key = dir.File("no-such-key");

        var result = await PhaulCli.RunAsync("migrate", "--pid", $"{Environment.ProcessId}", "--to", "192.0.2.7", "--key-file", key);

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains($"--key-file: Key file '{key}' does not exist; create one with 'phaul keygen {key}'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_file_others_can_read_is_refused()
    {
        using var dir = new TempDirectory();
        var key = dir.File("key");
        PreSharedKey.GenerateFile(key);
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var result = await PhaulCli.RunAsync("serve", "--wdir", dir.File("wdir"), "--key-file", key);

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains($"chmod 600 {key}", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("wdir")));
    }

    [Theory]
    [InlineData("phaul")]
    [InlineData("/phaul migrated")]
    [InlineData("/phaul#x")]
    public async Task A_cgroup_parent_that_is_not_an_absolute_path_CRIU_can_read_is_refused(string parent)
    {
        // It goes into the CRIU configuration file each restore uses, one option a line: a space or a '#' would change it.
        using var dir = new TempDirectory();
        var key = dir.File("key");
        PreSharedKey.GenerateFile(key);

        var result = await PhaulCli.RunAsync("serve", "--wdir", dir.File("wdir"), "--key-file", key, "--containers", dir.File("bundles"),
                                             "--cgroup-parent", parent);

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains($"--cgroup-parent {parent}: must be an absolute cgroup path", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pid_with_no_process_is_refused_before_connecting()
    {
        using var dir = new TempDirectory();
        var key = dir.File("key");
        PreSharedKey.GenerateFile(key);

        // Above the kernel's largest pid_max (2^22): no such process can exist.
        var result = await PhaulCli.RunAsync("migrate", "--pid", "2147483647", "--to", "192.0.2.7", "--key-file", key);

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains("--pid 2147483647: no such process", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_json_file_in_a_missing_directory_is_refused_before_migrating()
    {
        using var dir = new TempDirectory();
        var key = dir.File("key");
        PreSharedKey.GenerateFile(key);
        var json = Path.Combine(dir.Path, "missing", "report.json");

        var result = await PhaulCli.RunAsync("migrate", "--pid", $"{Environment.ProcessId}", "--to", "192.0.2.7", "--key-file", key, "--json", json);

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains($"--json {json}: directory '{Path.Combine(dir.Path, "missing")}' does not exist", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("migrate", "--strategy", "lazy", "--strategy must be auto, precopy, stop-and-copy, postcopy, hybrid; got 'lazy'")]
    [InlineData("serve", "--listen", "localhost:7480", "'localhost' is not an IP address")]
    [InlineData("serve", "--listen", "127.0.0.1:65536", "'65536' is not a port number")]
    [InlineData("demo", "--memory", "0", "--memory must be a size in MiB from 1 to 65536, got '0'")]
    public async Task A_bad_option_value_is_refused(string command, string option, string value, string message)
    {
        string[] required = command switch
        {
            "migrate" => ["--pid", "1", "--to", "192.0.2.7", "--key-file", "k"],
            "serve" => ["--wdir", "w", "--key-file", "k"],
            _ => [],
        };

        var result = await PhaulCli.RunAsync([command, option, value, .. required]);

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_command_is_refused()
    {
        var result = await PhaulCli.RunAsync("teleport");

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains("teleport", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Run 'phaul --help' for usage.", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_every_command_and_succeeds()
    {
        var result = await PhaulCli.RunAsync("--help");

        Assert.Equal(ExitCode.Success, result.ExitCode);
        foreach (var command in new[] { "check", "keygen", "serve", "migrate", "demo" })
            Assert.Contains($"  {command}", result.Stdout, StringComparison.Ordinal);
    }
}
