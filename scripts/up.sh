#!/usr/bin/env bash
# up.sh — the main job: `pulumi up` on a stack (default: dev) and print the verified host summary.
# On a fresh machine it installs what it needs (scripts/setup.sh), provides the Pulumi engine offline
# (scripts/engine.sh), and — when the stack's hosts are local disposable sandbox hosts, as the committed dev
# stack's dev-1 is — boots them first (scripts/sandbox-stack.sh).
#
# Usage: scripts/up.sh [STACK]        (npm start; npm start -- prod)
#   Prints the summary (JSON) on stdout. With the sandbox host, its last lines (stderr) say how to log in
#   to it and how to remove it: it is left running.
# Environment: see scripts/pulumi-env.sh (backend, secrets passphrase: a stack other than dev needs
#   PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE) and scripts/engine.sh (command plugin).
# Exit codes: 0 the stack is up and verified; 1 it is not (the reason on stderr).
set -euo pipefail

log() { printf 'up: %s\n' "$*" >&2; }

main() {
  local stack=${1:-dev} name
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  # First: it refuses a stack without a passphrase before anything is installed, built or run.
  # shellcheck source=scripts/pulumi-env.sh
  source scripts/pulumi-env.sh "$stack"
  scripts/setup.sh

  # A stack whose hosts are sandbox hosts (the dev stack as committed: dev-1) gets them booted first; a
  # stack pointed at real servers does not.
  # shellcheck source=scripts/sandbox-stack.sh
  source scripts/sandbox-stack.sh
  boot_sandbox_hosts "$stack"
  pulumi stack select --create "$stack" >&2
  # --continue-on-error: a rollout with a failure budget goes on past a failed host (components/rolloutGate.ts).
  pulumi up --yes --skip-preview --continue-on-error --stack "$stack" >&2
  log "verified hosts (docker info after the apply):"
  pulumi stack output summary --json --stack "$stack"
  for name in "${SANDBOX_HOSTS[@]}"; do how_to_reach_the_sandbox_host "$stack" "$name"; done
}

# how_to_reach_the_sandbox_host STACK NAME — the last lines: log in to the sandbox host NAME, remove it.
how_to_reach_the_sandbox_host() {
  local stack=$1 name=$2 info address key
  info=$(sandbox/sandbox info "$name")
  address=$(sed -n 's/.*"host":"\([^"]*\)".*/\1/p' <<<"$info")
  key=$(sed -n 's/.*"privateKeyPath":"\([^"]*\)".*/\1/p' <<<"$info")
  log "the demo host $name ($address) keeps running. Log in as root with:"
  log "  $PWD/sandbox/sandbox ssh $name"
  log "  or: ssh -i $key -o UserKnownHostsFile=$(dirname "$key")/known_hosts root@$address"
  log "      (its host key is new with every boot; that known_hosts file holds the current one)"
  log "remove it with: $PWD/sandbox/sandbox down $name"
  log "  (powers it off and deletes it with its disk; the $stack stack's state in $PULUMI_BACKEND_URL then describes a"
  log "  host that is gone — no pulumi destroy needed: the next npm start boots a new $name and forgets that state)"
}

main "$@"
