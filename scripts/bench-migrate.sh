#!/usr/bin/env bash
# bench-migrate.sh — the data-root migration benchmark (never run by the tests): the containers' downtime of
# the two-pass move against one stopped copy, and the move's copy throughput against `cp -a`, on a sandbox
# host with a few GiB of real data. Needs root. Prints a Markdown table (README, "Measurements").
#
# Usage: scripts/bench-migrate.sh      (npm run bench:migrate; MB_ROOT_MIB, MB_CHANGED_PERCENT: bench/migrate.ts)
# Exit codes: 0 measured; 1 a run failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
sandbox/sandbox build >&2
exec node --import tsx bench/migrate.ts
