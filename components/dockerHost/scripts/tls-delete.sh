#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tls-delete.sh — remove the TLS material docker-host installed (after the apply step's delete put the
# host's own daemon.json back, so dockerd no longer reads it).
#
# stdin:  ignored
# exit:   0 removed; 1 failed.
DH_STEP=tls-delete
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  rm -f "$DH_TLS_DIR/ca.pem" "$DH_TLS_DIR/server-cert.pem" "$DH_TLS_DIR/server-key.pem"
  rmdir "$DH_TLS_DIR" 2>/dev/null || true
  log "removed the TLS material from $DH_TLS_DIR"
  printf '{"removed":true}\n'
}

main "$@"
