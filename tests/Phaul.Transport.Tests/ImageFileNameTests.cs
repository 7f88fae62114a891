namespace Phaul.Transport.Tests;

public class ImageFileNameTests
{
    [Theory]
    [InlineData("core-1.img")]
    [InlineData("pstree.img")]
    [InlineData("tmpfs-dev-42.tar.gz.img")]
    [InlineData("ip6tables-9.img")]
    [InlineData("a+b_c.img")]
    public void Names_of_CRIU_images_are_accepted(string name)
    {
        Assert.True(ImageFileName.IsValid(name, out var problem));
        Assert.Null(problem);
    }

    // Failure handled in each row: a peer trying to write outside the iteration directory or to
    // smuggle a name the file system or a log would misread.
    [Theory]
    [InlineData(null, "empty")]
    [InlineData("", "empty")]
    [InlineData("/etc/passwd", "path separator")]
    [InlineData("../../etc/cron.d/x", "path separator")]
    [InlineData("sub/core-1.img", "path separator")]
    [InlineData("..\\core-1.img", "path separator")]
    [InlineData("..", "starts with '.'")]
    [InlineData(".", "starts with '.'")]
    [InlineData(".bashrc", "starts with '.'")]
    [InlineData("core\0.img", "NUL")]
    [InlineData("core 1.img", "U+0020")]
    [InlineData("core\n1.img", "U+000A")]
    [InlineData("core-ü.img", "U+00FC")]
    [InlineData("*", "U+002A")]
    [InlineData("stats-dump", "does not end in '.img'")]
    [InlineData("dump.log", "does not end in '.img'")]
    [InlineData("core-1.img.sh", "does not end in '.img'")]
    public void Names_that_are_not_a_plain_image_name_are_refused(string? name, string problem)
    {
        Assert.False(ImageFileName.IsValid(name, out var reason));
        Assert.Contains(problem, reason);
    }

    [Fact]
    public void A_name_longer_than_NAME_MAX_is_refused()
    {
        var name = new string('a', ImageFileName.MaxLength + 1 - ".img".Length) + ".img";
        Assert.False(ImageFileName.IsValid(name, out var reason));
        Assert.Contains($"256 characters, at most {ImageFileName.MaxLength}", reason);
        Assert.True(ImageFileName.IsValid(name[1..], out _));
    }

    [Fact]
    public void A_refused_name_is_shown_with_control_characters_escaped()
    {
        Assert.False(ImageFileName.IsValid("x\ny", out var reason));
        Assert.DoesNotContain("\n", reason);
        Assert.Contains("'x\\u000ay'", reason);
    }
}
