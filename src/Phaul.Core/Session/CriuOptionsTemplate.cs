using System.Collections;
using Google.Protobuf.Reflection;
using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// The CRIU options a user states once for a whole migration (a <see cref="CriuOpts"/> template): merged into every
/// pre-dump and the final dump, and the part a restore needs of them (<see cref="RestorePart"/>) into the restore.
/// </summary>
internal static class CriuOptionsTemplate
{
    /// <summary>
    /// What the restore needs of the options the dump was given: how the tree's sockets, locks, cgroups, namespaces
    /// and outside resources are to be restored. Nothing here names a program, a script or a configuration file for
    /// the restoring CRIU to run or read, so a destination can take them from its source (see
    /// <see cref="Transport.RestoreOptionsWire"/>). Dump-only options (link_remap, ghost_limit, config_file, ...)
    /// stay on the source.
    /// </summary>
    public static IReadOnlySet<int> RestoreFields { get; } = new HashSet<int>
    {
        CriuOpts.TcpEstablishedFieldNumber,
        CriuOpts.TcpCloseFieldNumber,
        CriuOpts.TcpSkipInFlightFieldNumber,
        CriuOpts.FileLocksFieldNumber,
        CriuOpts.ExtUnixSkFieldNumber,
        CriuOpts.ShellJobFieldNumber,
        CriuOpts.ExternalFieldNumber,
        CriuOpts.ManageCgroupsFieldNumber,
        CriuOpts.ManageCgroupsModeFieldNumber,
        CriuOpts.EmptyNsFieldNumber,
        CriuOpts.NetworkLockFieldNumber,
    };

    // Phaul sets these itself for each request (where the images are, the tree, the page server, the parent, logs,
    // the hand-over's notifications); fd numbers would not even be open in CRIU's process.
    private static readonly HashSet<int> OwnedFields =
    [
        CriuOpts.ImagesDirFdFieldNumber, CriuOpts.ImagesDirFieldNumber, CriuOpts.PidFieldNumber, CriuOpts.LogFileFieldNumber,
        CriuOpts.PsFieldNumber, CriuOpts.NotifyScriptsFieldNumber, CriuOpts.ParentImgFieldNumber, CriuOpts.TrackMemFieldNumber,
        CriuOpts.WorkDirFdFieldNumber, CriuOpts.RstSiblingFieldNumber, CriuOpts.LazyPagesFieldNumber, CriuOpts.LeaveStoppedFieldNumber,
        CriuOpts.LeaveRunningFieldNumber, CriuOpts.StatusFdFieldNumber, CriuOpts.InheritFdFieldNumber, CriuOpts.PidfdStoreSkFieldNumber,
    ];

    /// <summary>Throws <see cref="ArgumentException"/> naming the fields of <paramref name="template"/> that Phaul sets itself.</summary>
    /// <param name="template">The template; null is valid.</param>
    /// <param name="property">The template's name for the message, e.g. <c>MigrationConnectionOptions.CriuOptions</c>.</param>
    /// <param name="paramName">The caller's parameter that holds the template (or its options).</param>
    public static void Validate(CriuOpts? template, string property, string paramName)
    {
        if (template is null)
            return;
        var owned = SetFields(template).Where(field => OwnedFields.Contains(field.FieldNumber)).Select(field => field.Name).ToList();
        if (owned.Count > 0)
            throw new ArgumentException(
                $"{property} sets {string.Join(", ", owned)}, which Phaul sets itself for each CRIU request; leave them out.", paramName);
    }

    /// <summary>Merges <paramref name="template"/> into <paramref name="opts"/> (set fields win, lists are appended).</summary>
    public static void ApplyTo(CriuOpts opts, CriuOpts? template)
    {
        if (template is not null)
            opts.MergeFrom(template);
    }

    /// <summary>The fields of <see cref="RestoreFields"/> that <paramref name="template"/> sets; empty for null.</summary>
    public static CriuOpts RestorePart(CriuOpts? template)
    {
        var part = new CriuOpts();
        if (template is null)
            return part;
        foreach (var field in SetFields(template).Where(field => RestoreFields.Contains(field.FieldNumber)))
        {
            if (field.IsRepeated)
            {
                var target = (IList)field.Accessor.GetValue(part);
                foreach (var item in (IList)field.Accessor.GetValue(template))
                    target.Add(item);
            }
            else
                field.Accessor.SetValue(part, field.Accessor.GetValue(template));
        }
        return part;
    }

    /// <summary>The fields <paramref name="opts"/> sets (a present singular field, a non-empty list), by field number.</summary>
    public static IEnumerable<FieldDescriptor> SetFields(CriuOpts opts) =>
        CriuOpts.Descriptor.Fields.InFieldNumberOrder().Where(field => field.IsRepeated
            ? ((IList)field.Accessor.GetValue(opts)).Count > 0
            : field.Accessor.HasValue(opts));
}
