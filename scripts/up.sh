#!/usr/bin/env bash
# up.sh — the main job: `pulumi up` on a stack (default: dev) and print the verified host summary.
# On a fresh machine it installs what it needs (scripts/setup.sh), provides the Pulumi engine offline
# (scripts/engine.sh), and — when the stack's target is the local disposable host dev-1, as the committed
# dev stack's is — boots that host with the sandbox first.
#
# Usage: scripts/up.sh [STACK]        (npm start; npm start -- prod)
#   Prints the summary (JSON) on stdout. With the sandbox host, its last lines (stderr) say how to log in
#   to it and how to remove it: it is left running.
# Environment: see scripts/pulumi-env.sh (backend, secrets passphrase: a stack other than dev needs
#   PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE) and scripts/engine.sh (command plugin).
# Exit codes: 0 the stack is up and verified; 1 it is not (the reason on stderr).
set -euo pipefail

readonly SANDBOX_KEY=/run/docker-host-sandbox/dev-1/id_ed25519

log() { printf 'up: %s\n' "$*" >&2; }

main() {
  local stack=${1:-dev} sandbox_used=false
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  # First: it refuses a stack without a passphrase before anything is installed, built or run.
  # shellcheck source=scripts/pulumi-env.sh
  source scripts/pulumi-env.sh "$stack"
  scripts/setup.sh

  # A stack whose hosts are the sandbox's dev-1 (the dev stack as committed) gets it booted first; a stack
  # pointed at real servers does not. A new dev-1 is a blank machine, so state recorded for an earlier one
  # would only hide the work still to do.
  if grep -q "$SANDBOX_KEY" "Pulumi.$stack.yaml" 2>/dev/null; then
    sandbox_used=true
    if ! sandbox/sandbox info dev-1 >/dev/null 2>&1; then
      log "booting the local disposable host dev-1"
      sandbox/sandbox up dev-1 --index 1 >/dev/null
      if pulumi stack select "$stack" >/dev/null 2>&1; then
        log "dev-1 is a new disposable host: forgetting the $stack stack's state about the previous one"
        pulumi stack rm "$stack" --force --yes --preserve-config >&2
      fi
    fi
  fi
  pulumi stack select --create "$stack" >&2
  pulumi up --yes --skip-preview --stack "$stack" >&2
  log "verified hosts (docker info after the apply):"
  pulumi stack output summary --json --stack "$stack"
  if $sandbox_used; then how_to_reach_the_sandbox_host "$stack"; fi
}

# how_to_reach_the_sandbox_host STACK — the last lines: log in to dev-1, remove it.
how_to_reach_the_sandbox_host() {
  local stack=$1 info address key
  info=$(sandbox/sandbox info dev-1)
  address=$(sed -n 's/.*"host":"\([^"]*\)".*/\1/p' <<<"$info")
  key=$(sed -n 's/.*"privateKeyPath":"\([^"]*\)".*/\1/p' <<<"$info")
  log "the demo host dev-1 ($address) keeps running. Log in as root with:"
  log "  $PWD/sandbox/sandbox ssh dev-1"
  log "  or: ssh -i $key -o UserKnownHostsFile=$(dirname "$key")/known_hosts root@$address"
  log "      (its host key is new with every boot; that known_hosts file holds the current one)"
  log "remove it with: $PWD/sandbox/sandbox down dev-1"
  log "  (powers it off and deletes it with its disk; the $stack stack's state in $PULUMI_BACKEND_URL then describes a"
  log "  host that is gone — no pulumi destroy needed: the next npm start boots a new dev-1 and forgets that state)"
}

main "$@"
