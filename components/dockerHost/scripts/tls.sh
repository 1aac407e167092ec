#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tls.sh — install the TLS material for dockerd's TCP socket: the CA that signs client certificates and
# the server certificate (0644), the server key (0600, root only), all under /etc/docker/tls. Files are
# replaced atomically; dockerd picks them up at the apply step's restart.
#
# stdin:  CA_PEM_B64=…  CERT_PEM_B64=…  KEY_PEM_B64=…   (base64 of each PEM, one per line)
# stdout: {"dir":"/etc/docker/tls","changed":true|false}
# exit:   0 installed; 1 refused (not PEM) or failed.
DH_STEP=tls
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# install_pem NAME B64 MODE MARKER — decode, check the PEM marker, replace when different.
install_pem() {
  local path="$DH_TLS_DIR/$1" pem
  pem=$(base64 -d <<<"$2" 2>/dev/null) || die "$1: the value is not base64"
  grep -q -- "-----BEGIN .*$4-----" <<<"$pem" || die "$1: not a PEM $4"
  if [ -e "$path" ] && [ "$pem" = "$(cat "$path")" ] && [ "$(stat -c %a "$path")" = "$3" ]; then return 1; fi
  printf '%s\n' "$pem" | write_file_atomic "$path" "$3"
}

main() {
  read_params CA_PEM_B64 CERT_PEM_B64 KEY_PEM_B64
  local changed=false
  mkdir -p "$DH_TLS_DIR"
  chmod 0755 "$DH_TLS_DIR"
  install_pem ca.pem "$P_CA_PEM_B64" 644 CERTIFICATE && changed=true
  install_pem server-cert.pem "$P_CERT_PEM_B64" 644 CERTIFICATE && changed=true
  install_pem server-key.pem "$P_KEY_PEM_B64" 600 "PRIVATE KEY" && changed=true
  log "ok: TLS material in $DH_TLS_DIR (changed: $changed)"
  printf '{"dir":"%s","changed":%s}\n' "$DH_TLS_DIR" "$changed"
}

main "$@"
