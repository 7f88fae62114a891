namespace Phaul.FileSystem.Tests;

/// <summary>What the destination lets the network run: only a receiving rsync --server, Phaul's options, a prepared path.</summary>
public class RsyncServerArgumentsTests
{
    private static readonly string[] Allowed = ["/srv/app"];

    // What Debian's rsync 3.x passes for Phaul's options (seen with a remote shell printing its arguments).
    private static readonly string[] Phauls =
        ["rsync", "--server", "-lHogDtpAXrSe.iLsfxCIvu", "--delete", "--stats", "-@-1", "--numeric-ids", ".", "/srv/app/"];

    [Fact]
    public void Phauls_own_command_line_is_accepted_without_the_program_name()
    {
        Assert.Equal(Phauls[1..], RsyncServerArguments.Validate(Phauls, Allowed));
    }

    [Fact]
    public void The_path_may_come_without_its_trailing_slash_and_acls_and_xattrs_may_be_left_out()
    {
        string[] arguments = ["rsync", "--server", "-lHogDtprSe.iLsfxCIvu", "--delete", ".", "/srv/app"];
        Assert.Equal(arguments[1..], RsyncServerArguments.Validate(arguments, Allowed));
    }

    // Handles: a source asking the destination to send its files.
    [Fact]
    public void Sender_is_refused()
    {
        string[] arguments = ["rsync", "--server", "--sender", "-logDtpre.iLsfxCIvu", ".", "/srv/app/"];
        var refused = Assert.Throws<FileSystemMigrationException>(() => RsyncServerArguments.Validate(arguments, Allowed));
        Assert.Contains("--sender", refused.Message);
    }

    // Handles: options Phaul's source never uses, some of which write elsewhere or read other files.
    [Theory]
    [InlineData("--log-file=/etc/passwd")]
    [InlineData("--remove-source-files")]
    [InlineData("--backup-dir=/etc")]
    [InlineData("--link-dest=/root")]
    [InlineData("--daemon")]
    [InlineData("-logDtpzre.iLsfxCIvu")]
    [InlineData("-lvcogDtpre.iLsfxCIvu")]
    [InlineData("--write-batch=/tmp/x")]
    public void Unknown_options_are_refused_by_name(string option)
    {
        string[] arguments = ["rsync", "--server", option, ".", "/srv/app/"];
        var refused = Assert.Throws<FileSystemMigrationException>(() => RsyncServerArguments.Validate(arguments, Allowed));
        Assert.Contains($"'{option}'", refused.Message);
    }

    // Handles: destination paths the session did not prepare, or that escape it.
    [Theory]
    [InlineData("/etc/")]
    [InlineData("/srv/app/../../etc")]
    [InlineData("/srv/app/sub")]
    [InlineData("/srv")]
    [InlineData("srv/app")]
    [InlineData("/srv//app")]
    public void Paths_outside_the_prepared_set_are_refused(string path)
    {
        string[] arguments = ["rsync", "--server", "-logDtpre.iLsfxCIvu", ".", path];
        var refused = Assert.Throws<FileSystemMigrationException>(() => RsyncServerArguments.Validate(arguments, Allowed));
        Assert.Contains($"'{path}'", refused.Message);
    }

    // Handles: something that is not an rsync server command line at all.
    [Theory]
    [InlineData("sh", "-c", "id", ".", "/srv/app")]
    [InlineData("rsync", "--daemon", "-v", ".", "/srv/app")]
    [InlineData("rsync", "--server", "-logDtpre.iLsfxCIvu", "/srv/app", "/srv/app")]
    [InlineData("rsync", "--server", ".", "/srv/app", "")]
    public void Other_command_lines_are_refused(params string[] arguments)
    {
        Assert.Throws<FileSystemMigrationException>(() => RsyncServerArguments.Validate(arguments, Allowed));
    }
}
