#!/usr/bin/env bash
# tls.sh — stage one version of the TLS material for dockerd's TCP socket, checked before it can be used.
#
# A version is a directory /etc/docker/tls/<version>/ (0755) holding ca.pem and server-cert.pem (0644) and
# server-key.pem (0600), all root's (the DH_TLS_* names of lib.sh, which tlsMaterial.ts reads too); <version>
# is the first 12 hex digits of the sha256 of this step's stdin (tlsDigest in tlsMaterial.ts). Before
# anything is written, the host's openssl checks the material when it is installed (the key belongs to the
# certificate; the certificate verifies against the CA, which is a CA; both within their validity); then the
# version is written to a temporary directory beside its place and renamed into it. An existing version is
# never modified. Nothing dockerd reads changes here: daemon.json points at a version, so the apply step
# switches to the new one, and its rollback (the previous daemon.json) switches back.
#
# Kept: the versions that daemon.json and the apply step's backups (daemon.json.prev, daemon.json.orig)
# name, and the new one. Removed: docker-host's other versions. Files directly in /etc/docker/tls (the
# host's own, or those of docker-host releases before versions) are never touched.
#
# args:   version=VERSION (12 hex digits; must be the digest of stdin)
# stdin:  CA_PEM_B64=…  CERT_PEM_B64=…  KEY_PEM_B64=…   (base64 of each PEM, one per line)
# stdout: {"version":"…","dir":"/etc/docker/tls/…","changed":true|false,"removed":["…"]}
# exit:   0 staged (or already there); 1 refused (nothing changed) or failed.
# shellcheck source-path=SCRIPTDIR
DH_STEP=tls
# shellcheck source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

STAGING=""

cleanup() { [ -z "$STAGING" ] || rm -rf "$STAGING"; }

# decode_pem B64 LABEL MARKER — print the PEM; refuse anything that is not base64 of a PEM.
decode_pem() {
  local pem
  pem=$(base64 -d <<<"$1" 2>/dev/null) || die "$2: the value is not base64; nothing was changed"
  grep -q -- "-----BEGIN .*$3-----" <<<"$pem" || die "$2: not a PEM $3; nothing was changed"
  printf '%s' "$pem"
}

# check_material CA_PEM CERT_PEM KEY_PEM — the checks tlsMaterial.ts made, again with the host's own
# openssl, before anything is written (the PEMs go to openssl through pipes). Messages never quote them.
check_material() {
  local cert_pub key_pub out
  if ! have openssl; then
    log "openssl is not installed here: the material was checked by docker-host before it was sent, not again on the host"
    return 0
  fi
  cert_pub=$(openssl x509 -noout -pubkey 2>/dev/null <<<"$2") \
    || die "openssl cannot read the server certificate; nothing was changed"
  key_pub=$(openssl pkey -pubout 2>/dev/null <<<"$3") \
    || die "openssl cannot read the server key (an encrypted key?); nothing was changed"
  [ "$cert_pub" = "$key_pub" ] \
    || die "the server key does not belong to the server certificate; nothing was changed. Fix: pass the key the certificate was issued for."
  out=$(openssl verify -CAfile /dev/fd/3 3<<<"$1" 2>&1 <<<"$2") \
    || die "the server certificate does not verify against the CA ($(grep -m 1 -o 'error [0-9]* at .*' <<<"$out" || echo "openssl verify failed")); nothing was changed"
}

# same_material DIR CA_PEM CERT_PEM KEY_PEM — true when DIR holds exactly these PEMs.
same_material() {
  cmp -s "$1/$DH_TLS_CA_FILE" <(printf '%s' "$2") && cmp -s "$1/$DH_TLS_CERT_FILE" <(printf '%s' "$3") \
    && cmp -s "$1/$DH_TLS_KEY_FILE" <(printf '%s' "$4")
}

# referenced_versions — the versions daemon.json and the apply step's backups point at, one per line.
referenced_versions() {
  local f
  for f in "$DH_DAEMON_JSON" "$DH_BACKUP_DIR/daemon.json.prev" "$DH_BACKUP_DIR/daemon.json.orig"; do
    [ -e "$f" ] || continue
    grep -o "$DH_TLS_DIR/[0-9a-f]\{12\}/" "$f" || true
  done | sed "s|^$DH_TLS_DIR/||; s|/\$||"
}

# prune_versions KEEP... — remove docker-host's version directories not listed, and staging leftovers;
# prints each removed version.
prune_versions() {
  local entry name
  for entry in "$DH_TLS_DIR"/* "$DH_TLS_DIR/$DH_TLS_STAGING_PREFIX"*; do
    name=${entry##*/}
    if [ ! -d "$entry" ] || [ -L "$entry" ]; then continue; fi
    if [[ $name == "$DH_TLS_STAGING_PREFIX"* ]]; then
      [ "$entry" = "$STAGING" ] || rm -rf "$entry"
      continue
    fi
    [[ $name =~ $DH_TLS_VERSION_RE ]] || continue
    case " $* " in *" $name "*) continue ;; esac
    rm -rf "$entry"
    echo "$name"
  done
}

# json_names LINES — a JSON list of the names (hex digits, nothing to escape), one per line.
json_names() {
  local out="" name
  while IFS= read -r name; do
    if [ -n "$name" ]; then out+="${out:+,}\"$name\""; fi
  done <<<"$1"
  printf '[%s]' "$out"
}

main() {
  local arg version="" input actual ca cert key target changed=false removed
  local -a keep
  for arg in "$@"; do
    case $arg in
      version=*) version=${arg#*=} ;;
      *) die "unknown argument '$arg'" ;;
    esac
  done
  [[ $version =~ $DH_TLS_VERSION_RE ]] || die "version=VERSION (12 hex digits) is required"

  input=$(cat)
  actual=$(printf '%s\n' "$input" | sha256sum | cut -c1-12)
  [ "$actual" = "$version" ] || die "the material on stdin is version $actual, not $version; nothing was changed"
  read_params CA_PEM_B64 CERT_PEM_B64 KEY_PEM_B64 <<<"$input"
  ca=$(decode_pem "$P_CA_PEM_B64" caCertPem CERTIFICATE)$'\n'
  cert=$(decode_pem "$P_CERT_PEM_B64" serverCertPem CERTIFICATE)$'\n'
  key=$(decode_pem "$P_KEY_PEM_B64" serverKeyPem "PRIVATE KEY")$'\n'
  check_material "$ca" "$cert" "$key"
  target="$DH_TLS_DIR/$version"

  # Checked: from here on, changes. An existing version is only compared, never rewritten.
  if [ -e "$target" ] || [ -L "$target" ]; then
    if [ -L "$target" ] || [ ! -d "$target" ] || ! same_material "$target" "$ca" "$cert" "$key"; then
      die "$target holds other material than its name says (changed outside docker-host); nothing was changed. Fix: remove it, unless daemon.json points at it, and re-run."
    fi
  else
    mkdir -p "$DH_TLS_DIR"
    chmod 0755 "$DH_TLS_DIR"
    trap cleanup EXIT
    STAGING=$(mktemp -d "$DH_TLS_DIR/${DH_TLS_STAGING_PREFIX}XXXXXX")
    (
      umask 077
      printf '%s' "$ca" >"$STAGING/$DH_TLS_CA_FILE"
      printf '%s' "$cert" >"$STAGING/$DH_TLS_CERT_FILE"
      printf '%s' "$key" >"$STAGING/$DH_TLS_KEY_FILE"
    )
    chown -R root:root "$STAGING"
    chmod 0644 "$STAGING/$DH_TLS_CA_FILE" "$STAGING/$DH_TLS_CERT_FILE"
    chmod 0600 "$STAGING/$DH_TLS_KEY_FILE"
    chmod 0755 "$STAGING"
    sync "$STAGING"/*.pem
    mv -T "$STAGING" "$target"
    STAGING=""
    sync "$DH_TLS_DIR"
    changed=true
  fi

  mapfile -t keep < <({ referenced_versions; echo "$version"; } | sort -u)
  removed=$(prune_versions "${keep[@]}")
  [ -z "$removed" ] || log "removed unused TLS material: $(paste -sd' ' <<<"$removed")"
  log "ok: TLS material version $version in $target (new: $changed); kept: ${keep[*]}"
  printf '{"version":"%s","dir":"%s","changed":%s,"removed":%s}\n' "$version" "$target" "$changed" "$(json_names "$removed")"
}

main "$@"
