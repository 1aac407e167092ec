#!/usr/bin/env bash
# up.sh — the main job: `pulumi up` on a stack (default: dev) and print the verified host summary.
# On a fresh machine it installs what it needs (scripts/setup.sh), provides the Pulumi engine offline
# (scripts/engine.sh), and — when the stack's target is the local disposable host dev-1, as the committed
# dev stack's is — boots that host with the sandbox first.
#
# Usage: scripts/up.sh [STACK]        (npm start; npm start -- prod)
# Environment: see scripts/pulumi-env.sh (state directory, secrets passphrase).
# Exit codes: 0 the stack is up and verified; 1 it is not (the reason on stderr).
set -euo pipefail

readonly SANDBOX_KEY=/run/docker-host-sandbox/dev-1/id_ed25519

log() { printf 'up: %s\n' "$*" >&2; }

main() {
  local stack=${1:-dev}
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  scripts/setup.sh
  # shellcheck source=scripts/pulumi-env.sh
  source scripts/pulumi-env.sh

  # A stack whose hosts are the sandbox's dev-1 (the dev stack as committed) gets it booted first; a stack
  # pointed at real servers does not. A new dev-1 is a blank machine, so state recorded for an earlier one
  # would only hide the work still to do.
  if grep -q "$SANDBOX_KEY" "Pulumi.$stack.yaml" 2>/dev/null; then
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
}

main "$@"
