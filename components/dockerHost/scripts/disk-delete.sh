#!/usr/bin/env bash
# disk-delete.sh — `pulumi destroy` of the data-disk step: drop docker.service's RequiresMountsFor
# drop-in. The disk stays mounted and its mount unit stays enabled: destroy never unmounts or wipes data.
#
# stdin:  nothing
# exit:   0 done; 1 failed.
# shellcheck source-path=SCRIPTDIR
DH_STEP=data-disk-delete
# shellcheck source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

main() {
  if [ -e "$DH_DROPIN_DISK" ]; then
    rm -f "$DH_DROPIN_DISK"
    systemctl daemon-reload
    log "removed $DH_DROPIN_DISK; the data disk stays mounted"
  fi
  printf '{"removed":true}\n'
}

main "$@"
