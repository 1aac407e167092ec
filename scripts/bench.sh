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
# Each sandbox host's systemd takes inotify instances of the root user; Debian's default of 128 runs out
# around 40 hosts (20 hosts and their 20 physical-floor twins). Raised for this boot only, never lowered.
readonly INOTIFY_INSTANCES=1024
if (($(sysctl -n fs.inotify.max_user_instances) < INOTIFY_INSTANCES)); then
  echo "bench: fs.inotify.max_user_instances raised to $INOTIFY_INSTANCES until the next reboot (40 sandbox hosts)" >&2
  sysctl -q -w fs.inotify.max_user_instances="$INOTIFY_INSTANCES"
fi
exec node --import tsx bench/bench.ts
