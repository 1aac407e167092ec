#!/usr/bin/env bash
# prune-delete.sh — remove scheduled pruning (the setting was removed, or `pulumi destroy`): stop and
# disable the timer, remove its units, environment file and script (the DH_PRUNE_* paths of lib.sh).
#
# stdin:  nothing
# stdout: {"removed":true}
# exit:   0 removed; 1 failed.
# shellcheck source-path=SCRIPTDIR
DH_STEP=prune-delete
# shellcheck source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

main() {
  systemctl disable --quiet --now "$DH_PRUNE_TIMER_UNIT" 2>/dev/null || true
  rm -f "$DH_PRUNE_TIMER" "$DH_PRUNE_SERVICE" "$DH_PRUNE_ENV" "$DH_PRUNE_BIN"
  systemctl daemon-reload
  log "scheduled pruning removed"
  printf '{"removed":true}\n'
}

main "$@"
