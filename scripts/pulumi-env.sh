# shellcheck shell=bash
# pulumi-env.sh — sourced by the scripts that drive the Pulumi engine: puts the offline-built engine on
# PATH and points Pulumi at a local file backend and a passphrase secrets provider (no Pulumi Cloud).
#
# Environment (all optional):
#   DOCKER_HOST_STATE_DIR     local backend directory   (default: ~/.docker-host/state)
#   PULUMI_CONFIG_PASSPHRASE  passphrase for secrets    (default for the dev stack: "docker-host-dev")

engine_bin=$("$(dirname "${BASH_SOURCE[0]}")/engine.sh")
export PATH="$engine_bin:$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-docker-host-dev}
DOCKER_HOST_STATE_DIR=${DOCKER_HOST_STATE_DIR:-$HOME/.docker-host/state}
export DOCKER_HOST_STATE_DIR
mkdir -p "$DOCKER_HOST_STATE_DIR"
export PULUMI_BACKEND_URL="file://$DOCKER_HOST_STATE_DIR"
