#!/bin/sh
# run.sh — entry point of every docker-host step on a host. Started by the command remoteCommand.ts builds
# (which checked this file's own digest first), it becomes root (directly, or through `sudo -n` after
# checking that sudo needs no password), installs the uploaded scripts into a root-owned folder named by
# their digest, verifies them, and runs the step from there: nothing runs as root from the SSH user's
# home, whatever the modes of the upload. The read-only gate runs in the session; every step that changes
# the host runs as a detached transaction (txn.sh: its own systemd unit, under the host lock).
# POSIX sh on purpose: it starts from whatever login shell the user has.
#
# Usage: sh run.sh UPLOAD_DIR STEP v=SCRIPTS_DIGEST [owner=WHO] [lock-wait=SECONDS] [ARG...]
# Exit codes: the step's; 1 when sudo is not usable or the scripts fail their digest; 2 for bad usage.
set -eu
export LC_ALL=C
umask 022

# Read by hostConstants.ts too (the plan's steps and scripts must be these; tests/unit/steps.test.ts checks).
# Where verified versions live.
readonly DH_INSTALL_DIR=/usr/local/lib/docker-host
# The step scripts a command may name, and those that run read-only in the SSH session (every other step
# changes the host and runs as a detached transaction, txn.sh).
readonly DH_STEPS="gate disk disk-delete apply apply-delete prune prune-delete tls tls-delete"
readonly DH_SESSION_STEPS="gate"

fail() {
  echo "docker-host on $(hostname): $*" >&2
  exit 1
}

upload=${1:-}
step=${2:-}
digest=${3:-}
[ $# -ge 3 ] || { echo "usage: run.sh UPLOAD_DIR STEP v=DIGEST [ARG...]" >&2; exit 2; }
shift 3
unknown_step() {
  echo "docker-host: unknown step '$step'" >&2
  exit 2
}
case $step in "" | *[!a-z-]*) unknown_step ;; esac
case " $DH_STEPS " in *" $step "*) ;; *) unknown_step ;; esac
digest=${digest#v=}
case $digest in
  *[!0-9a-f]* | "") echo "docker-host: v= must be the scripts' sha256" >&2; exit 2 ;;
esac
[ ${#digest} -eq 64 ] || { echo "docker-host: v= must be the scripts' sha256" >&2; exit 2; }

if [ "$(id -u)" -ne 0 ]; then
  if ! sudo -n true 2>/dev/null; then
    fail "user $(id -un) cannot run sudo without a password. Fix: grant it passwordless sudo (NOPASSWD) or connect as root."
  fi
  exec sudo -n /bin/sh "$0" "$upload" "$step" "v=$digest" "$@"
fi

# digest_of DIR — the same digest as scriptsDigest() in remoteCommand.ts: sha256 over the list sha256sum
# prints for DIR's files (names in byte order, LC_ALL=C): one sha256sum for all the files, not a process each.
digest_of() {
  (cd "$1" && sha256sum -- *) | sha256sum | cut -c1-64
}

# installed_ok DIR — root-owned, nobody else can write, only regular files, and the digest matches.
installed_ok() {
  [ -d "$1" ] && [ ! -L "$1" ] || return 1
  [ -z "$(find "$1" \( ! -user root -o -perm /022 -o ! \( -type f -o -path "$1" \) \) -print -quit)" ] || return 1
  [ "$(digest_of "$1")" = "$digest" ]
}

install_scripts() {
  local_tmp=""
  mkdir -p "$DH_INSTALL_DIR"
  chown root:root "$DH_INSTALL_DIR"
  chmod 0755 "$DH_INSTALL_DIR"
  [ -d "$upload" ] || fail "the uploaded scripts are missing ($upload). Fix: upload them again (pulumi up --replace on the -scripts resource)."
  local_tmp=$(mktemp -d "$DH_INSTALL_DIR/.install.XXXXXX")
  for f in "$upload"/*; do
    if [ ! -f "$f" ] || [ -L "$f" ]; then
      rm -rf "$local_tmp"
      fail "$f is not a regular file; refusing to install the scripts from $upload."
    fi
    cp "$f" "$local_tmp/"
  done
  chown -R root:root "$local_tmp"
  chmod 0644 "$local_tmp"/*
  chmod 0755 "$local_tmp"
  if [ "$(digest_of "$local_tmp")" != "$digest" ]; then
    rm -rf "$local_tmp"
    fail "the scripts in $upload do not match the digest in the command (changed after the upload?); refusing to run them as root. Fix: upload them again (pulumi up --replace on the -scripts resource)."
  fi
  # Atomic: another run may have installed the same version meanwhile; then its copy is checked below.
  mv -T "$local_tmp" "$DH_INSTALL_DIR/$digest" 2>/dev/null || rm -rf "$local_tmp"
}

target=$DH_INSTALL_DIR/$digest
if ! installed_ok "$target"; then
  if [ -e "$target" ]; then
    echo "docker-host: $target differs from version $digest (changed after it was installed); installing it again from the upload" >&2
    rm -rf "$target"
  fi
  install_scripts
  installed_ok "$target" || fail "$target does not verify after installing it; refusing to run it."
fi
touch "$target"

case " $DH_SESSION_STEPS " in
  *" $step "*) exec /bin/bash "$target/$step.sh" "$@" ;;
esac
exec /bin/bash "$target/txn.sh" "$step" "$@"
