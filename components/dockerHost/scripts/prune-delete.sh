#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# prune-delete.sh — remove scheduled pruning (the setting was removed, or `pulumi destroy`): stop and
# disable the timer, remove its units, environment file and script.
#
# stdin:  nothing
# exit:   0 removed; 1 failed.
DH_STEP=prune-delete
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  systemctl disable --quiet --now docker-host-prune.timer 2>/dev/null || true
  rm -f /etc/systemd/system/docker-host-prune.timer /etc/systemd/system/docker-host-prune.service \
    /etc/docker-host/prune.env /usr/local/libexec/docker-host/prune
  systemctl daemon-reload
  log "scheduled pruning removed"
  printf '{"removed":true}\n'
}

main "$@"
