# shellcheck shell=bash
# pulumi-env.sh — sourced (bash) by the scripts that drive the Pulumi engine, or by you before running
# `pulumi` yourself: checks the secrets passphrase for STACK, puts the offline-built engine on PATH
# (scripts/engine.sh), points PULUMI_HOME at docker-host's private plugin home when engine.sh chose the
# stand-in command plugin, and defaults the backend to a local directory (no Pulumi Cloud).
#
# Usage: source scripts/pulumi-env.sh [STACK]
#   STACK  the stack the following pulumi commands are for (scripts/up.sh passes it). Only the dev stack
#          gets a default passphrase; any other stack needs PULUMI_CONFIG_PASSPHRASE or
#          PULUMI_CONFIG_PASSPHRASE_FILE, checked before anything else runs. Without STACK no default is
#          set and nothing is checked (pulumi then asks, or fails without a terminal).
# Environment (all optional):
#   PULUMI_BACKEND_URL            kept when set; else file://$DOCKER_HOST_STATE_DIR
#   DOCKER_HOST_STATE_DIR         local backend directory (default: ~/.docker-host/state)
#   PULUMI_CONFIG_PASSPHRASE      passphrase for secrets (default for the dev stack only: "docker-host-dev")
#   PULUMI_CONFIG_PASSPHRASE_FILE a file holding it instead
#   PULUMI_HOME                   your Pulumi home (default ~/.pulumi); replaced by the private one when the
#                                 stand-in is used (the replaced value is kept in DOCKER_HOST_OPERATOR_PULUMI_HOME)
#   DOCKER_HOST_COMMAND_PLUGIN, DOCKER_HOST_ENGINE_CACHE, DOCKER_HOST_PLUGIN_HOME   see scripts/engine.sh
# Status: 0 ready; 1 not (the reason and the fix on stderr; the shell is left running either way).

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  printf 'pulumi-env: source this file, do not run it: source %s [STACK]\n' "$0" >&2
  exit 2
fi

_docker_host_pulumi_env() {
  local stack=${1:-} here engine_out line path_prefix='' private_home=''
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || return 1

  # Secrets passphrase: checked first, so a stack without one fails before any build or pulumi command.
  if [ -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ]; then
    if ! [ -r "$PULUMI_CONFIG_PASSPHRASE_FILE" ]; then
      printf 'pulumi-env: PULUMI_CONFIG_PASSPHRASE_FILE="%s" is not a readable file. Fix: point it at the file holding the passphrase of the %s stack.\n' \
        "$PULUMI_CONFIG_PASSPHRASE_FILE" "${stack:-current}" >&2
      return 1
    fi
  elif [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ "$stack" = dev ]; then
    export PULUMI_CONFIG_PASSPHRASE=docker-host-dev
  elif [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -n "$stack" ] && [ "$stack" != dev ]; then
    printf 'pulumi-env: the %s stack needs a secrets passphrase of your own ("docker-host-dev" is only the dev stack'"'"'s default); nothing was run. Fix: export PULUMI_CONFIG_PASSPHRASE='"'"'…'"'"' (or export PULUMI_CONFIG_PASSPHRASE_FILE=/path/to/a/file/holding/it), then run again.\n' \
      "$stack" >&2
    return 1
  fi

  engine_out=$("$here/engine.sh" --env) || { printf 'pulumi-env: scripts/engine.sh failed (see above)\n' >&2; return 1; }
  while IFS= read -r line; do
    case $line in
      PATH_PREFIX=*) path_prefix=${line#PATH_PREFIX=} ;;
      PULUMI_HOME=*) private_home=${line#PULUMI_HOME=} ;;
    esac
  done <<<"$engine_out"
  [ -n "$path_prefix" ] || { printf 'pulumi-env: scripts/engine.sh --env printed no PATH_PREFIX\n' >&2; return 1; }
  case ":$PATH:" in ":$path_prefix:"*) ;; *) export PATH="$path_prefix:$PATH" ;; esac

  if [ -n "$private_home" ]; then
    # The stand-in lives in docker-host's private Pulumi home; remember the operator's for engine.sh.
    if [ "${PULUMI_HOME:-}" != "$private_home" ]; then export DOCKER_HOST_OPERATOR_PULUMI_HOME="${PULUMI_HOME:-}"; fi
    export PULUMI_HOME="$private_home"
  elif [ -n "${DOCKER_HOST_OPERATOR_PULUMI_HOME+set}" ]; then
    # Sourced again after the upstream plugin appeared: back to the operator's own home.
    if [ -n "$DOCKER_HOST_OPERATOR_PULUMI_HOME" ]; then export PULUMI_HOME="$DOCKER_HOST_OPERATOR_PULUMI_HOME"; else unset PULUMI_HOME; fi
    unset DOCKER_HOST_OPERATOR_PULUMI_HOME
  fi

  export PULUMI_SKIP_UPDATE_CHECK=true
  if [ -z "${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION+set}" ]; then
    # Set here, not by the operator: engine.sh may still try its one download of the upstream plugin.
    export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true DOCKER_HOST_DISABLED_PLUGIN_ACQUISITION=1
  fi

  if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
    DOCKER_HOST_STATE_DIR=${DOCKER_HOST_STATE_DIR:-$HOME/.docker-host/state}
    export DOCKER_HOST_STATE_DIR
    mkdir -p "$DOCKER_HOST_STATE_DIR" || return 1
    export PULUMI_BACKEND_URL="file://$DOCKER_HOST_STATE_DIR"
  fi
  # `pulumi login` credentials live in the operator's PULUMI_HOME and are not carried into the private one
  # (no copy or link of a secret into a cache directory): a Pulumi Cloud backend then needs the token in
  # the environment, which pulumi reads whatever its home.
  case $PULUMI_BACKEND_URL in
    http://* | https://*)
      if [ -n "$private_home" ] && [ -z "${PULUMI_ACCESS_TOKEN:-}" ]; then
        printf 'pulumi-env: PULUMI_BACKEND_URL=%s needs your pulumi login, but Pulumi runs with docker-host'"'"'s private PULUMI_HOME=%s (the stand-in command plugin), which does not carry credentials. Fix: export PULUMI_ACCESS_TOKEN=… , or install the upstream command plugin into your own Pulumi home (pulumi plugin install resource command 1.2.1) so that it is used.\n' \
          "$PULUMI_BACKEND_URL" "$private_home" >&2
        return 1
      fi ;;
  esac
  return 0
}

if _docker_host_pulumi_env "$@"; then
  unset -f _docker_host_pulumi_env
else
  unset -f _docker_host_pulumi_env
  return 1
fi
