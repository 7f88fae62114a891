#!/usr/bin/env bash
# Packs the NuGet packages into artifacts/: Phaul.Core (the library), Phaul.FileSystem (file-system migration, a
# package of its own), Phaul.Containers (runc container migration, one too) and Phaul.Cli (the `phaul` .NET tool).
# With --check, also installs the tool into a temporary tool path and runs `phaul check` through it,
# as a user who installed the package would.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

rm -rf artifacts
for project in src/Phaul.Core src/Phaul.FileSystem src/Phaul.Containers src/Phaul.Cli; do
    dotnet pack "$project" -c Release -o artifacts -v quiet -nologo
done
echo "pack: $(cd artifacts && echo *.nupkg *.snupkg)"

if [[ ${1:-} == --check ]]; then
    tools=$(mktemp -d)
    trap 'rm -rf "$tools"' EXIT
    dotnet tool install --tool-path "$tools" --add-source artifacts Phaul.Cli >/dev/null
    "$tools/phaul" check
    echo "pack: the installed tool runs"
fi
