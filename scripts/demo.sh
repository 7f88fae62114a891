#!/usr/bin/env bash
# The README's first command: sets up what `phaul demo` needs, builds the CLI and runs the demo,
# which migrates a workload to a destination service on this machine and shows that it continues.
# Run as root on Debian (as on the project's machines): installs CRIU when needed
# (scripts/install-criu.sh) and a C compiler for the demo workload when cc is missing.
# Arguments are passed on to `phaul demo` (e.g. --memory 256, --verbose).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "*** demo.sh FAILED: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root: CRIU needs it (sudo bash scripts/demo.sh)"
command -v dotnet >/dev/null || die "the .NET 10 SDK (dotnet) is not installed: https://learn.microsoft.com/dotnet/core/install/linux"

# The demo workload is a small C program, compiled on first use.
if ! command -v cc >/dev/null; then
    command -v apt-get >/dev/null || die "no C compiler (cc) for the demo workload, and no apt-get to install one: install gcc"
    echo "demo.sh: installing gcc for the demo workload" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null
fi

# install-criu.sh ends its output with the line `export PHAUL_CRIU=<path>`.
installed=$(scripts/install-criu.sh)
PHAUL_CRIU=$(sed -n 's/^export PHAUL_CRIU=//p' <<<"$installed" | tail -n1)
[[ -n $PHAUL_CRIU ]] || die "install-criu.sh named no CRIU:"$'\n'"$installed"
export PHAUL_CRIU

echo "demo.sh: building the phaul CLI" >&2
export DOTNET_NOLOGO=1
dotnet build src/Phaul.Cli -c Release -nologo -v quiet -clp:NoSummary >&2 || die "building src/Phaul.Cli failed"
exec dotnet src/Phaul.Cli/bin/Release/net10.0/phaul.dll demo "$@"
