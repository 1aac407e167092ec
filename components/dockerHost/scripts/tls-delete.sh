#!/usr/bin/env bash
# tls-delete.sh — remove the TLS material docker-host staged: its version directories
# /etc/docker/tls/<version>/ (see tls.sh) and, on hosts set up by docker-host releases before versions, the
# three files those kept directly in /etc/docker/tls (ca.pem, server-cert.pem, server-key.pem). It runs
# after the apply step's delete put the host's own daemon.json back (or after an apply without TLS), so
# dockerd no longer reads them; anything the current daemon.json still names is kept all the same, so
# dockerd's next start finds its files. Other files in /etc/docker/tls (the host's own) are never touched.
#
# stdin:  ignored
# stdout: {"removed":true}
# exit:   0 removed; 1 failed.
# shellcheck source-path=SCRIPTDIR
DH_STEP=tls-delete
# shellcheck source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

# named_by_daemon_json PATH — true when the current daemon.json mentions PATH.
named_by_daemon_json() { [ -e "$DH_DAEMON_JSON" ] && grep -qF -- "$1" "$DH_DAEMON_JSON"; }

main() {
  local entry name
  [ -d "$DH_TLS_DIR" ] || { printf '{"removed":true}\n'; return 0; }
  for entry in "$DH_TLS_DIR"/* "$DH_TLS_DIR/$DH_TLS_STAGING_PREFIX"*; do
    name=${entry##*/}
    if [ ! -d "$entry" ] || [ -L "$entry" ]; then continue; fi
    if [[ $name == "$DH_TLS_STAGING_PREFIX"* ]]; then rm -rf "$entry"; continue; fi
    [[ $name =~ $DH_TLS_VERSION_RE ]] || continue
    if named_by_daemon_json "$entry/"; then
      log "kept $entry: $DH_DAEMON_JSON still points at it"
      continue
    fi
    rm -rf "$entry"
  done
  for name in "$DH_TLS_CA_FILE" "$DH_TLS_CERT_FILE" "$DH_TLS_KEY_FILE"; do
    entry="$DH_TLS_DIR/$name"
    [ -e "$entry" ] || continue
    if named_by_daemon_json "\"$entry\""; then
      log "kept $entry: $DH_DAEMON_JSON still points at it"
      continue
    fi
    rm -f "$entry"
  done
  rmdir "$DH_TLS_DIR" 2>/dev/null || true
  log "removed docker-host's TLS material from $DH_TLS_DIR"
  printf '{"removed":true}\n'
}

main "$@"
