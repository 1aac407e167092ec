#!/usr/bin/env bash
# actionlint.sh — run actionlint (the GitHub Actions workflow linter) at a pinned release, building it from
# the Go module proxy once per machine into a cache outside the repository (never a downloaded binary).
# actionlint also runs shellcheck on every `run:` block when shellcheck is on PATH (scripts/setup.sh
# installs it).
#
# Usage: scripts/actionlint.sh [--path] [ACTIONLINT-ARGS...]
#   --path  only build (when needed) and print the binary's path
#   without arguments it lints .github/workflows/*.yml of this repository (actionlint's default).
# Environment:
#   DOCKER_HOST_TOOLS_CACHE  cache root (default: /var/cache/docker-host-tools as root, else
#                            ${XDG_CACHE_HOME:-~/.cache}/docker-host-tools; a binary root built is reused)
#   GOPROXY                  Go module proxy (default: https://proxy.golang.org)
# Exit codes: actionlint's own (0 clean, 1 findings, 2 bad usage, 3 fatal); 1 also when the build failed.
set -euo pipefail

readonly ACTIONLINT_VERSION=v1.7.12
readonly ACTIONLINT_PACKAGE=github.com/rhysd/actionlint/cmd/actionlint
readonly SYSTEM_CACHE=/var/cache/docker-host-tools

log() { printf 'actionlint.sh: %s\n' "$*" >&2; }

cache_root() {
  if [ -n "${DOCKER_HOST_TOOLS_CACHE:-}" ]; then
    printf '%s\n' "$DOCKER_HOST_TOOLS_CACHE"
  elif [ "$(id -u)" -eq 0 ]; then
    printf '%s\n' "$SYSTEM_CACHE"
  else
    printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/docker-host-tools"
  fi
}

# binary — the path of a built actionlint, building it first when there is none.
binary() {
  local dir shared="$SYSTEM_CACHE/actionlint-$ACTIONLINT_VERSION/actionlint" tmp
  dir="$(cache_root)/actionlint-$ACTIONLINT_VERSION"
  if [ -z "${DOCKER_HOST_TOOLS_CACHE:-}" ] && [ -x "$shared" ]; then printf '%s\n' "$shared"; return 0; fi
  if [ -x "$dir/actionlint" ]; then printf '%s\n' "$dir/actionlint"; return 0; fi
  command -v go >/dev/null 2>&1 || { log "building actionlint needs Go (go is not on PATH). Fix: install Go 1.21 or newer."; return 1; }
  mkdir -p "$dir"
  # Built into a temporary directory and renamed into place: two test runs building at once never see half
  # a binary.
  tmp=$(mktemp -d "$dir/build.XXXXXX")
  log "building actionlint $ACTIONLINT_VERSION from the Go module proxy into $dir (once per machine)"
  if ! GOFLAGS=-mod=mod GOBIN="$tmp" GOPROXY="${GOPROXY:-https://proxy.golang.org}" CGO_ENABLED=0 \
    go install -trimpath -ldflags "-s -w" "$ACTIONLINT_PACKAGE@$ACTIONLINT_VERSION" >&2; then
    rm -rf "$tmp"
    log "building actionlint failed (see above)"
    return 1
  fi
  mv -f "$tmp/actionlint" "$dir/actionlint"
  rm -rf "$tmp"
  printf '%s\n' "$dir/actionlint"
}

main() {
  local bin
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  bin=$(binary)
  if [ "${1:-}" = --path ]; then printf '%s\n' "$bin"; return 0; fi
  exec "$bin" "$@"
}

main "$@"
