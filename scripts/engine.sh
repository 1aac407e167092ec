#!/usr/bin/env bash
# engine.sh — provide the Pulumi engine offline: use a `pulumi` on PATH when it is new enough, otherwise
# build the CLI and the Node.js language host from Go modules (the Go module proxy) into a cache outside
# the repo. Never commits or downloads a prebuilt binary.
#
# Also builds docker-host's offline "command" provider plugin (engine/pulumi-resource-command; the upstream
# provider's module is not served by the proxy here) and installs it with `pulumi plugin install`.
#
# Usage: scripts/engine.sh
#   Prints the directory holding `pulumi` and `pulumi-language-nodejs` (prepend it to PATH).
# Environment:
#   DOCKER_HOST_ENGINE_CACHE  cache directory (default: /var/cache/docker-host-engine)
# Exit codes: 0 engine ready; 1 build failed (the reason on stderr).
set -euo pipefail

readonly PULUMI_VERSION=3.276.0
# The Node.js language host has its own module without tags since ~v3.80; the proxy here refuses it, so
# the newest sdk/v3 release that still contains it is used (it speaks the same language-host protocol).
readonly LANGUAGE_HOST_SDK_VERSION=3.68.0
# The @pulumi/command SDK version pinned in package.json; the provider plugin answers for it.
readonly COMMAND_PROVIDER_VERSION=1.2.1
readonly CACHE=${DOCKER_HOST_ENGINE_CACHE:-/var/cache/docker-host-engine}
PROVIDER_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/engine/pulumi-resource-command"
readonly PROVIDER_SRC
readonly BIN="$CACHE/bin"
# Kept off PATH: Pulumi takes plugins on PATH before installed ones, with a warning on every run.
readonly PROVIDER_BIN="$CACHE/provider"

log() { printf 'engine: %s\n' "$*" >&2; }
die() { printf 'engine: %s\n' "$*" >&2; exit 1; }

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

pulumi_on_path_is_new_enough() {
  local v
  command -v pulumi >/dev/null 2>&1 || return 1
  v=$(pulumi version 2>/dev/null | sed 's/^v//') || return 1
  version_ge "$v" "$PULUMI_VERSION"
}

# build_go_binary NAME MODULE@VERSION PACKAGE LDFLAGS [REPLACE...] — build PACKAGE of MODULE in a throwaway
# wrapper module (so the module's own local `replace` lines do not apply) into $BIN/NAME.
build_go_binary() {
  local name=$1 module=$2 package=$3 ldflags=$4 work
  shift 4
  work=$(mktemp -d)
  (
    cd "$work"
    go mod init docker-host-engine-build >/dev/null 2>&1
    for replace in "$@"; do go mod edit -replace "$replace"; done
    go get "$module" >&2
    CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$BIN/$name.tmp" "$package" >&2
  ) || { rm -rf "$work"; return 1; }
  rm -rf "$work"
  mv -f "$BIN/$name.tmp" "$BIN/$name"
}

main() {
  command -v go >/dev/null 2>&1 || die "Go is needed to build the Pulumi engine offline. Fix: install Go ≥ 1.26."
  mkdir -p "$BIN"
  export GOFLAGS=-mod=mod GOPROXY=${GOPROXY:-https://proxy.golang.org} GONOSUMDB=${GONOSUMDB:-}

  if pulumi_on_path_is_new_enough; then
    log "using $(command -v pulumi) ($(pulumi version))"
  elif ! [ -x "$BIN/pulumi" ] || ! version_ge "$("$BIN/pulumi" version 2>/dev/null | sed 's/^v//')" "$PULUMI_VERSION"; then
    log "building the Pulumi CLI v$PULUMI_VERSION from Go modules (cold: several minutes)"
    local started=$SECONDS
    # pkg/v3's own go.mod swaps atotto/clipboard for a fork; a dependency's replace is ignored, so repeat it.
    build_go_binary pulumi "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
      "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      "github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e" \
      || die "building the Pulumi CLI failed (see above)"
    log "Pulumi CLI built in $((SECONDS - started)) s"
  fi
  if ! [ -x "$BIN/pulumi-language-nodejs" ]; then
    log "building the Node.js language host from sdk/v3 v$LANGUAGE_HOST_SDK_VERSION"
    local started=$SECONDS
    build_go_binary pulumi-language-nodejs "github.com/pulumi/pulumi/sdk/v3@v$LANGUAGE_HOST_SDK_VERSION" \
      github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
      "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$LANGUAGE_HOST_SDK_VERSION" \
      || die "building the Node.js language host failed (see above)"
    log "language host built in $((SECONDS - started)) s"
  fi
  install_command_provider
  echo "$BIN"
}

# install_command_provider — build engine/pulumi-resource-command when its sources changed, and install it
# as the `command` resource plugin (into $PULUMI_HOME, default ~/.pulumi).
install_command_provider() {
  local digest stamp="$PROVIDER_BIN/pulumi-resource-command.sha256" pulumi_bin=$BIN/pulumi
  pulumi_on_path_is_new_enough && pulumi_bin=$(command -v pulumi)
  digest=$(cd "$PROVIDER_SRC" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
  mkdir -p "$PROVIDER_BIN"
  rm -f "$BIN/pulumi-resource-command"
  if ! [ -x "$PROVIDER_BIN/pulumi-resource-command" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
    log "building the command provider plugin v$COMMAND_PROVIDER_VERSION (engine/pulumi-resource-command)"
    (cd "$PROVIDER_SRC" && CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.Version=$COMMAND_PROVIDER_VERSION" -o "$PROVIDER_BIN/pulumi-resource-command" .) >&2 \
      || die "building the command provider failed (see above)"
    echo "$digest" >"$stamp"
    rm -rf "${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-command-v$COMMAND_PROVIDER_VERSION"*
  fi
  if ! [ -d "${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-command-v$COMMAND_PROVIDER_VERSION" ]; then
    PULUMI_SKIP_UPDATE_CHECK=true "$pulumi_bin" plugin install resource command "$COMMAND_PROVIDER_VERSION" \
      --file "$PROVIDER_BIN/pulumi-resource-command" >&2 || die "installing the command provider plugin failed"
  fi
}

main "$@"
