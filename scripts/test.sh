#!/usr/bin/env bash
# Phaul's test command: sets up CRIU (scripts/install-criu.sh), then builds and runs every test
# project in Phaul.sln, one after the other. Arguments are passed on to `dotnet test` (e.g. --logger trx).
# As root this installs CRIU when needed and the integration tests run. Not as root, nothing is
# installed and the integration tests skip (or fail, with PHAUL_REQUIRE_CRIU=1).
# A preset PHAUL_CRIU names the CRIU to test with, and nothing is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -n ${PHAUL_CRIU:-} ]]; then
    echo "test.sh: testing with PHAUL_CRIU=$PHAUL_CRIU" >&2
elif [[ $(id -u) == 0 ]]; then
    # install-criu.sh ends its output with the line `export PHAUL_CRIU=<path>`.
    installed=$(scripts/install-criu.sh)
    criu=$(sed -n 's/^export PHAUL_CRIU=//p' <<<"$installed" | tail -n1)
    [[ -n $criu ]] || { echo "test.sh: install-criu.sh named no CRIU:"$'\n'"$installed" >&2; exit 1; }
    export PHAUL_CRIU=$criu
else
    echo "test.sh: not root, so CRIU is not set up; the integration tests will skip" >&2
fi

dotnet build Phaul.sln -nologo -v quiet
# One test project at a time (-m:1): several run real CRIU migrations of hundreds of MiB and time their
# failure paths; run side by side on two cores they starve each other into false timeouts.
exec dotnet test Phaul.sln --no-build -m:1 "$@"
