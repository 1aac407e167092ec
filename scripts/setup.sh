#!/usr/bin/env bash
# setup.sh — install what the project needs on a fresh Debian 12 machine: Debian packages for the tests
# and the sandbox, and the npm dependencies (npm ci, only when package-lock.json changed).
# Idempotent; safe to run before every test run. The sandbox rootfs is built by sandbox/sandbox build.
#
# Usage: scripts/setup.sh
# Exit codes: 0 ready; 1 an install failed.
set -euo pipefail

readonly DEBIAN_PACKAGES=(shellcheck debootstrap systemd-container iproute2 openssh-client xfsprogs e2fsprogs util-linux)

log() { printf 'setup: %s\n' "$*" >&2; }

missing_debian_packages() {
  local pkg
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || printf '%s\n' "$pkg"
  done
}

install_debian_packages() {
  local missing
  mapfile -t missing < <(missing_debian_packages)
  ((${#missing[@]} > 0)) || return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages (${missing[*]}); run as root to install them"
    return 0
  fi
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_npm_dependencies() {
  local stamp=node_modules/.package-lock.sha256 want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" >"$stamp"
}

main() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  install_debian_packages
  install_npm_dependencies
}

main "$@"
