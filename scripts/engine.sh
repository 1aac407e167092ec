#!/usr/bin/env bash
# engine.sh — provide the Pulumi engine offline: use a `pulumi` on PATH when it is new enough, otherwise
# build the CLI and the Node.js language host from Go modules (the Go module proxy) into a cache outside
# the repo. Never commits or downloads a prebuilt binary of its own.
#
# It also decides which "command" resource plugin v1.2.1 (the @pulumi/command version in package.json)
# Pulumi runs, and says so on stderr ("engine: command plugin: …"):
#   1. the operator's own: ${PULUMI_HOME:-~/.pulumi}/plugins/resource-command-v1.2.1 holding a plugin that
#      is not docker-host's stand-in → used as it is; PULUMI_HOME stays the operator's.
#   2. else, when nothing is installed there as v1.2.1 and downloads are allowed, one bounded attempt at
#      `pulumi plugin install resource command 1.2.1` into the operator's home (never over an existing one).
#   3. else docker-host's stand-in (engine/pulumi-resource-command, built from source) in a project-private
#      Pulumi home ($DOCKER_HOST_PLUGIN_HOME), where the operator's other installed plugins are made
#      visible through symbolic links (refreshed on every run). Pulumi must then run with
#      PULUMI_HOME set to that home: use --env (scripts/pulumi-env.sh and tests/engine/project.ts do).
# Nothing in the operator's Pulumi home is ever deleted or overwritten (step 2 only adds a new plugin).
#
# With --languages it also builds what the consumers in examples/ need (tests/engine/consumer*.test.ts):
#   - pulumi-language-yaml: github.com/pulumi/pulumi-yaml at the version pkg/v3 of the CLI requires (its
#     go.mod), for Pulumi YAML programs;
#   - pulumi-language-python (+ its pulumi-language-python-exec shim): from sdk/v3 v3.68.0 like the Node.js
#     host (its own module is refused by the proxy too), for Python programs;
#   - docker-host-sdkgen (provider/sdkgen): Python SDKs from a schema with pkg/v3's Python code generator,
#     because that language host predates SDK generation (`pulumi package gen-sdk`/`add` need it).
#
# Usage: scripts/engine.sh [--env] [--languages]
#   without --env: prints the directory holding `pulumi` and `pulumi-language-nodejs` (prepend it to PATH)
#   --env:         prints KEY=VALUE lines, one per line, values unquoted (the rest of the line):
#                    PATH_PREFIX=<that directory>
#                    COMMAND_PLUGIN=upstream|standin
#                    PULUMI_HOME=<private Pulumi home>     (only with COMMAND_PLUGIN=standin)
# Environment:
#   DOCKER_HOST_ENGINE_CACHE    cache directory (default: /var/cache/docker-host-engine)
#   DOCKER_HOST_PLUGIN_HOME     the private Pulumi home for the stand-in (default: $CACHE/pulumi-home)
#   DOCKER_HOST_COMMAND_PLUGIN  auto (default) | upstream (require the upstream plugin) | standin (force ours)
#   DOCKER_HOST_UPSTREAM_INSTALL_TIMEOUT  seconds for the download attempt (default: 60)
#   PULUMI_HOME                 the operator's Pulumi home (default: ~/.pulumi, as pulumi itself resolves it)
#   PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true   no download attempt
# Exit codes: 0 engine ready; 1 a build or install failed, or the upstream plugin was required and is
#   missing (the reason and the fix on stderr); 2 usage error.
set -euo pipefail

readonly PULUMI_VERSION=3.276.0
# The Node.js language host has its own module without tags since ~v3.80; the proxy here refuses it, so
# the newest sdk/v3 release that still contains it is used (it speaks the same language-host protocol).
readonly LANGUAGE_HOST_SDK_VERSION=3.68.0
# The YAML language host: the pulumi-yaml release that pkg/v3 v$PULUMI_VERSION requires (its go.mod). Built
# against pkg and sdk v$PULUMI_VERSION (newer than those it requires itself; already in the module cache).
readonly YAML_LANGUAGE_HOST_VERSION=1.38.1
SDKGEN_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/provider/sdkgen"
readonly SDKGEN_SRC
# The @pulumi/command SDK version pinned in package.json; the provider plugin answers for it.
readonly COMMAND_PROVIDER_VERSION=1.2.1
readonly COMMAND_PLUGIN_DIR_NAME="resource-command-v$COMMAND_PROVIDER_VERSION"
# Strings only docker-host's stand-in contains (the current one, and the one older engine.sh versions
# installed into ~/.pulumi): such a plugin is never taken for the upstream one.
readonly STANDIN_MARKERS=(docker-host-standin-command-provider "docker-host offline build")
readonly CACHE=${DOCKER_HOST_ENGINE_CACHE:-/var/cache/docker-host-engine}
readonly PLUGIN_HOME=${DOCKER_HOST_PLUGIN_HOME:-$CACHE/pulumi-home}
PROVIDER_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/engine/pulumi-resource-command"
readonly PROVIDER_SRC
readonly BIN="$CACHE/bin"
# Kept off PATH: Pulumi takes plugins on PATH before installed ones, with a warning on every run.
readonly PROVIDER_BIN="$CACHE/provider"

log() { printf 'engine: %s\n' "$*" >&2; }
die() { printf 'engine: %s\n' "$*" >&2; exit 1; }
usage_error() { printf 'engine: %s\nusage: scripts/engine.sh [--env] [--languages]\n' "$*" >&2; exit 2; }

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

require_go() {
  command -v go >/dev/null 2>&1 || die "Go is needed to build the Pulumi engine offline. Fix: install Go ≥ 1.26."
}

# cli_version PULUMI — the version of that CLI. Every pulumi command writes (and rotates) log files in the
# Pulumi home it runs with, so engine.sh runs none with the operator's: this one uses the private home.
cli_version() {
  (cd / && PULUMI_HOME=$PLUGIN_HOME PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null | sed 's/^v//')
}

pulumi_on_path_is_new_enough() {
  local v
  command -v pulumi >/dev/null 2>&1 || return 1
  v=$(cli_version pulumi) || return 1
  version_ge "$v" "$PULUMI_VERSION"
}

# build_go_binary NAME MODULE@VERSION PACKAGE LDFLAGS [REPLACE...] — build PACKAGE of MODULE in a throwaway
# wrapper module (so the module's own local `replace` lines do not apply) into $BIN/NAME. MODULE@VERSION may
# be several, separated by spaces (the first is the one built from; the others pin its dependencies).
build_go_binary() {
  local name=$1 modules=$2 package=$3 ldflags=$4 work
  shift 4
  work=$(mktemp -d)
  (
    cd "$work"
    go mod init docker-host-engine-build >/dev/null 2>&1
    for replace in "$@"; do go mod edit -replace "$replace"; done
    # shellcheck disable=SC2086 # one word per module
    go get $modules >&2
    CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$BIN/$name.tmp" "$package" >&2
  ) || { rm -rf "$work"; return 1; }
  rm -rf "$work"
  mv -f "$BIN/$name.tmp" "$BIN/$name"
}

build_engine() {
  export GOFLAGS=-mod=mod GOPROXY=${GOPROXY:-https://proxy.golang.org} GONOSUMDB=${GONOSUMDB:-}
  if pulumi_on_path_is_new_enough; then
    log "using $(command -v pulumi) (v$(cli_version pulumi))"
  elif ! [ -x "$BIN/pulumi" ] || ! version_ge "$(cli_version "$BIN/pulumi")" "$PULUMI_VERSION"; then
    require_go
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
    require_go
    log "building the Node.js language host from sdk/v3 v$LANGUAGE_HOST_SDK_VERSION"
    local started=$SECONDS
    build_go_binary pulumi-language-nodejs "github.com/pulumi/pulumi/sdk/v3@v$LANGUAGE_HOST_SDK_VERSION" \
      github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
      "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$LANGUAGE_HOST_SDK_VERSION" \
      || die "building the Node.js language host failed (see above)"
    log "language host built in $((SECONDS - started)) s"
  fi
  PULUMI_BIN=$BIN/pulumi
  pulumi_on_path_is_new_enough && PULUMI_BIN=$(command -v pulumi)
  if $BUILD_LANGUAGES; then build_languages; fi
  # Older versions of this script left the provider here, on PATH, where Pulumi would prefer it.
  rm -f "$BIN/pulumi-resource-command"
}

# build_languages — the YAML and Python language hosts and docker-host-sdkgen (see the header), each once;
# docker-host-sdkgen again whenever provider/sdkgen changes.
build_languages() {
  local started
  if ! [ -x "$BIN/pulumi-language-yaml" ]; then
    require_go
    log "building the YAML language host v$YAML_LANGUAGE_HOST_VERSION (github.com/pulumi/pulumi-yaml)"
    started=$SECONDS
    build_go_binary pulumi-language-yaml \
      "github.com/pulumi/pulumi-yaml@v$YAML_LANGUAGE_HOST_VERSION github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" \
      github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml \
      "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$YAML_LANGUAGE_HOST_VERSION" \
      || die "building the YAML language host failed (see above)"
    log "YAML language host built in $((SECONDS - started)) s"
  fi
  if ! [ -x "$BIN/pulumi-language-python" ] || ! [ -f "$BIN/pulumi-language-python-exec" ]; then
    require_go
    log "building the Python language host from sdk/v3 v$LANGUAGE_HOST_SDK_VERSION"
    started=$SECONDS
    build_go_binary pulumi-language-python "github.com/pulumi/pulumi/sdk/v3@v$LANGUAGE_HOST_SDK_VERSION" \
      github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python \
      "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$LANGUAGE_HOST_SDK_VERSION" \
      || die "building the Python language host failed (see above)"
    # Its shim (a Python script the host runs the program with) sits next to the host, where it looks.
    local dir
    dir=$(cd / && go mod download -json "github.com/pulumi/pulumi/sdk/v3@v$LANGUAGE_HOST_SDK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -f "$dir/python/cmd/pulumi-language-python-exec" ] || die "no pulumi-language-python-exec in sdk/v3 v$LANGUAGE_HOST_SDK_VERSION ($dir)"
    install -m 0755 "$dir/python/cmd/pulumi-language-python-exec" "$BIN/pulumi-language-python-exec"
    log "Python language host built in $((SECONDS - started)) s"
  fi
  local digest stamp="$BIN/docker-host-sdkgen.sha256" work
  digest=$(sha256sum <"$SDKGEN_SRC/main.go" | cut -d' ' -f1)
  if ! [ -x "$BIN/docker-host-sdkgen" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
    require_go
    log "building docker-host-sdkgen (provider/sdkgen) against pkg/v3 v$PULUMI_VERSION"
    started=$SECONDS
    work=$(mktemp -d)
    (
      cd "$work"
      go mod init docker-host-sdkgen >/dev/null 2>&1
      cp "$SDKGEN_SRC/main.go" .
      go get "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" >&2
      go mod tidy >&2
      CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/docker-host-sdkgen.tmp" . >&2
    ) || { rm -rf "$work"; die "building docker-host-sdkgen failed (see above)"; }
    rm -rf "$work"
    mv -f "$BIN/docker-host-sdkgen.tmp" "$BIN/docker-host-sdkgen"
    echo "$digest" >"$stamp"
    log "docker-host-sdkgen built in $((SECONDS - started)) s"
  fi
}

# pulumi_cli HOME ARGS... — run the CLI with Pulumi home HOME, from a directory that is no Pulumi project.
pulumi_cli() {
  local home=$1
  shift
  (cd / && PULUMI_HOME=$home PULUMI_SKIP_UPDATE_CHECK=true "$PULUMI_BIN" "$@")
}

# operator_pulumi_home — the Pulumi home the operator's own `pulumi` uses: $PULUMI_HOME, else ~/.pulumi of
# the current user (from the user database, as pulumi resolves it; $HOME when that lookup fails). When
# PULUMI_HOME already is our private home (a shell that sourced scripts/pulumi-env.sh), the home it
# replaced, which pulumi-env.sh keeps in DOCKER_HOST_OPERATOR_PULUMI_HOME.
operator_pulumi_home() {
  local home=${PULUMI_HOME:-} user_home
  if [ -n "$home" ] && same_path "$home" "$PLUGIN_HOME"; then home=${DOCKER_HOST_OPERATOR_PULUMI_HOME:-}; fi
  if [ -z "$home" ]; then
    user_home=$(getent passwd "$(id -u)" 2>/dev/null | cut -d: -f6) || user_home=
    home="${user_home:-$HOME}/.pulumi"
  fi
  case $home in /*) ;; *) home="$PWD/$home" ;; esac
  printf '%s\n' "$home"
}

same_path() { [ "$(realpath -m -- "$1")" = "$(realpath -m -- "$2")" ]; }

# plugin_state DIR — what the plugin directory DIR holds: none | upstream | standin | incomplete.
plugin_state() {
  local dir=$1 binary=$1/pulumi-resource-command marker
  if ! [ -e "$dir" ] && ! [ -e "$dir.partial" ]; then echo none; return; fi
  if [ -e "$dir.partial" ] || ! [ -f "$binary" ] || ! [ -x "$binary" ]; then echo incomplete; return; fi
  for marker in "${STANDIN_MARKERS[@]}"; do
    if grep -qaF -- "$marker" "$binary"; then echo standin; return; fi
  done
  echo upstream
}

acquisition_disabled() {
  # pulumi-env.sh sets the variable itself for the pulumi commands it runs; only the operator's own
  # setting (DOCKER_HOST_DISABLED_PLUGIN_ACQUISITION unset) means "never download".
  [ "${DOCKER_HOST_DISABLED_PLUGIN_ACQUISITION:-}" != 1 ] || return 1
  case ${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION:-} in 1 | [Tt][Rr][Uu][Ee]) return 0 ;; *) return 1 ;; esac
}

# try_upstream_install HOME — one bounded `pulumi plugin install resource command 1.2.1`. It runs in a
# throwaway Pulumi home (pulumi writes and rotates log files in the home it runs with), and only a
# complete download is then copied into HOME as a new plugin directory: a failed attempt leaves nothing
# there, and an existing plugin directory is never replaced.
try_upstream_install() {
  local home=$1 limit=${DOCKER_HOST_UPSTREAM_INSTALL_TIMEOUT:-60} staging status=0 tmp
  [[ $limit =~ ^[1-9][0-9]*$ ]] ||
    die "DOCKER_HOST_UPSTREAM_INSTALL_TIMEOUT=\"$limit\" is not a number of seconds. Fix: set it to e.g. 60, or unset it."
  log "trying to download the upstream command plugin v$COMMAND_PROVIDER_VERSION for $home (at most $limit s)"
  staging=$(mktemp -d "$CACHE/upstream-download.XXXXXX")
  # Bounded by timeout(1) (SIGKILL 5 s after SIGTERM). Registry resolution is skipped: the plugin comes
  # from its release like any unregistered plugin. From /, so that no Pulumi.yaml has a say.
  (cd / && PULUMI_HOME=$staging PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_REGISTRY_RESOLVE=true \
    timeout --kill-after=5 "$limit" "$PULUMI_BIN" plugin install resource command "$COMMAND_PROVIDER_VERSION" \
    --exact --non-interactive </dev/null >&2 2>&1) || status=$?
  if [ "$status" -eq 0 ] && [ "$(plugin_state "$staging/plugins/$COMMAND_PLUGIN_DIR_NAME")" = upstream ]; then
    mkdir -p "$home/plugins"
    tmp="$home/plugins/.$COMMAND_PLUGIN_DIR_NAME.docker-host-$$"
    if cp -a "$staging/plugins/$COMMAND_PLUGIN_DIR_NAME" "$tmp" && mv -T -n "$tmp" "$home/plugins/$COMMAND_PLUGIN_DIR_NAME"; then
      [ -e "$tmp" ] && rm -rf "$tmp" # our own copy, when a plugin appeared there meanwhile (mv -n kept it)
    else
      rm -rf "$tmp"
      status=1
    fi
  else
    [ "$status" -ne 0 ] || status=1
  fi
  rm -rf "$staging"
  return "$status"
}

# A failed download is not retried for a day (offline machines stay fast); DOCKER_HOST_COMMAND_PLUGIN=upstream
# always tries. The note records the operator home it was for.
readonly DOWNLOAD_FAILED_NOTE="$PLUGIN_HOME/upstream-download-failed"
download_failed_recently() {
  [ -f "$DOWNLOAD_FAILED_NOTE" ] && [ "$(head -n 1 "$DOWNLOAD_FAILED_NOTE")" = "$1" ] &&
    [ -n "$(find "$DOWNLOAD_FAILED_NOTE" -mmin -1440 -print -quit)" ]
}

# choose_command_plugin — sets CHOSEN (upstream|standin) and says which plugin on stderr.
choose_command_plugin() {
  local mode=${DOCKER_HOST_COMMAND_PLUGIN:-auto} home dir state reason
  case $mode in
    auto | upstream | standin) ;;
    *) usage_error "DOCKER_HOST_COMMAND_PLUGIN=\"$mode\" is not one of auto, upstream, standin. Fix: unset it (auto) or pick one of those." ;;
  esac
  if [ "$mode" = standin ]; then
    use_standin "DOCKER_HOST_COMMAND_PLUGIN=standin"
    return
  fi
  home=$(operator_pulumi_home)
  dir="$home/plugins/$COMMAND_PLUGIN_DIR_NAME"
  state=$(plugin_state "$dir")
  if [ "$state" = none ]; then
    if acquisition_disabled; then
      reason="none in $home, and PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION} forbids the download"
    elif [ "$mode" = auto ] && download_failed_recently "$home"; then
      reason="none in $home, and its download failed less than a day ago; DOCKER_HOST_COMMAND_PLUGIN=upstream tries again now"
    elif try_upstream_install "$home"; then
      rm -f "$DOWNLOAD_FAILED_NOTE"
      state=$(plugin_state "$dir")
    else
      reason="none in $home, and the download failed (no network?); not tried again for a day"
      printf '%s\n' "$home" >"$DOWNLOAD_FAILED_NOTE"
    fi
  fi
  case $state in
    upstream)
      CHOSEN=upstream
      log "command plugin: upstream v$COMMAND_PROVIDER_VERSION ($dir/pulumi-resource-command)"
      return ;;
    standin) reason="$dir is docker-host's stand-in from an earlier engine.sh (left as it is)" ;;
    incomplete) reason="$dir is incomplete (no executable pulumi-resource-command, or an install in progress; left as it is)" ;;
  esac
  if [ "$mode" = upstream ]; then
    die "DOCKER_HOST_COMMAND_PLUGIN=upstream, but the upstream command plugin v$COMMAND_PROVIDER_VERSION is not usable: $reason. Fix: install it where it can be downloaded ('PULUMI_HOME=$home pulumi plugin install resource command $COMMAND_PROVIDER_VERSION'; if $dir is docker-host's stand-in, remove it first with 'PULUMI_HOME=$home pulumi plugin rm resource command $COMMAND_PROVIDER_VERSION'), or unset DOCKER_HOST_COMMAND_PLUGIN to use docker-host's stand-in."
  fi
  OPERATOR_HOME=$home
  use_standin "$reason"
}

# use_standin WHY — build the stand-in when its sources changed and install it into the private home.
use_standin() {
  local why=$1 digest stamp="$PROVIDER_BIN/pulumi-resource-command.sha256" installed="$PLUGIN_HOME/$COMMAND_PLUGIN_DIR_NAME.sha256"
  local dir="$PLUGIN_HOME/plugins/$COMMAND_PLUGIN_DIR_NAME"
  CHOSEN=standin
  digest=$(cd "$PROVIDER_SRC" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
  mkdir -p "$PROVIDER_BIN"
  if ! [ -x "$PROVIDER_BIN/pulumi-resource-command" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
    require_go
    log "building the command provider plugin v$COMMAND_PROVIDER_VERSION (engine/pulumi-resource-command)"
    (cd "$PROVIDER_SRC" && CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.Version=$COMMAND_PROVIDER_VERSION" -o "$PROVIDER_BIN/pulumi-resource-command.tmp" .) >&2 \
      || die "building the command provider failed (see above). Fix: correct engine/pulumi-resource-command, or install the upstream plugin (see README, \"The Pulumi engine, offline\")."
    mv -f "$PROVIDER_BIN/pulumi-resource-command.tmp" "$PROVIDER_BIN/pulumi-resource-command"
    echo "$digest" >"$stamp"
  fi
  mkdir -p "$PLUGIN_HOME/plugins"
  if [ "$(cat "$installed" 2>/dev/null)" != "$digest" ] || [ "$(plugin_state "$dir")" != standin ]; then
    # Only inside the private home: the operator's own plugins are never removed.
    rm -rf "$dir" "$dir.lock" "$dir.partial" "$dir.lastused" "$installed"
    pulumi_cli "$PLUGIN_HOME" plugin install resource command "$COMMAND_PROVIDER_VERSION" --exact \
      --file "$PROVIDER_BIN/pulumi-resource-command" >&2 || die "installing the command provider plugin into $PLUGIN_HOME failed (see above)"
    echo "$digest" >"$installed"
  fi
  link_operator_plugins "${OPERATOR_HOME:-$(operator_pulumi_home)}/plugins" "$PLUGIN_HOME/plugins"
  log "command plugin: docker-host stand-in ($why); PULUMI_HOME=$PLUGIN_HOME"
}

# is_mirror DIR — DIR is a plugin directory made by link_operator_plugins: only symbolic links in it.
is_mirror() {
  [ -d "$1" ] && ! [ -L "$1" ] && [ -z "$(find "$1" -mindepth 1 -maxdepth 1 ! -type l -print -quit)" ]
}

remove_mirror() {
  find "$1" -mindepth 1 -maxdepth 1 -type l -delete
  rmdir "$1"
  rm -f "$1.lastused"
}

# link_operator_plugins SRC DST — make every plugin installed in SRC (the operator's plugins directory)
# visible in DST (the private one) without writing to SRC: DST/<plugin> is a directory of symbolic links
# to SRC/<plugin>'s entries (Pulumi skips a plugin directory that is itself a link). Plugins being
# installed (.partial) and the command plugin v1.2.1 (ours is in DST) are left out; mirrors of plugins
# gone from SRC are removed; plugins installed into DST by pulumi itself are left alone.
link_operator_plugins() {
  local src=$1 dst=$2 name entry target
  same_path "$src" "$dst" && return 0
  while IFS= read -r -d '' name; do
    [ "$name" = "$COMMAND_PLUGIN_DIR_NAME" ] && continue
    is_mirror "$dst/$name" || continue
    if ! [ -d "$src/$name" ] || [ -e "$src/$name.partial" ]; then remove_mirror "$dst/$name"; fi
  done < <(find "$dst" -mindepth 1 -maxdepth 1 -type d -printf '%f\0')
  [ -d "$src" ] || return 0
  while IFS= read -r -d '' name; do
    [ "$name" = "$COMMAND_PLUGIN_DIR_NAME" ] && continue
    [ -e "$src/$name.partial" ] && continue
    if [ -e "$dst/$name" ] || [ -L "$dst/$name" ]; then is_mirror "$dst/$name" || continue; else mkdir "$dst/$name"; fi
    while IFS= read -r -d '' entry; do
      target="$src/$name/$entry"
      [ "$(readlink "$dst/$name/$entry" 2>/dev/null)" = "$target" ] || ln -sfn -- "$target" "$dst/$name/$entry"
    done < <(find "$src/$name/" -mindepth 1 -maxdepth 1 -printf '%f\0')
    while IFS= read -r -d '' entry; do
      [ -e "$src/$name/$entry" ] || [ -L "$src/$name/$entry" ] || rm -f -- "$dst/$name/$entry"
    done < <(find "$dst/$name/" -mindepth 1 -maxdepth 1 -type l -printf '%f\0')
  done < <(find "$src/" -mindepth 1 -maxdepth 1 \( -type d -o -type l \) -printf '%f\0')
}

main() {
  local print_env=false arg
  BUILD_LANGUAGES=false
  for arg in "$@"; do
    case $arg in
      --env) print_env=true ;;
      --languages) BUILD_LANGUAGES=true ;;
      *) usage_error "unknown argument \"$arg\"" ;;
    esac
  done
  mkdir -p "$BIN" "$PLUGIN_HOME"
  # 0700: pulumi keeps per-user state in its home (stack selections; credentials, were someone to log in).
  chmod 0700 "$PLUGIN_HOME"
  # One engine.sh at a time (test files call it in parallel): builds and installs are not repeated.
  exec 9>"$CACHE/.engine.lock"
  flock 9
  build_engine
  CHOSEN='' OPERATOR_HOME=''
  choose_command_plugin
  if $print_env; then
    printf 'PATH_PREFIX=%s\nCOMMAND_PLUGIN=%s\n' "$BIN" "$CHOSEN"
    if [ "$CHOSEN" = standin ]; then printf 'PULUMI_HOME=%s\n' "$PLUGIN_HOME"; fi
  else
    if [ "$CHOSEN" = standin ]; then
      log "note: the stand-in is only found with PULUMI_HOME=$PLUGIN_HOME (scripts/engine.sh --env prints it; scripts/pulumi-env.sh exports it)"
    fi
    printf '%s\n' "$BIN"
  fi
}

main "$@"
