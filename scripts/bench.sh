#!/usr/bin/env bash
# bench.sh — the benchmarks (never run by the tests): pulumi up wall times against sandbox hosts and the
# cost of reload- vs restart-class changes. Needs root. Prints a Markdown table (README, "Measurements").
#
# Usage: scripts/bench.sh      (npm run bench)
# Exit codes: 0 measured; 1 a run failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
sandbox/sandbox build >&2
exec node --import tsx bench/bench.ts
