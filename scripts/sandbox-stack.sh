# shellcheck shell=bash
# sandbox-stack.sh — sourced (bash) by scripts/up.sh and scripts/preview.sh: boot the local sandbox hosts a
# stack's hosts are (scripts/sandboxStack.ts says which: hosts whose keys are a sandbox host's), so that
# `pulumi up` or `pulumi preview` finds them running. A stack of real servers boots nothing.
#
# Usage: source scripts/sandbox-stack.sh; boot_sandbox_hosts STACK
#   Run in the project directory (Pulumi.STACK.yaml there), with scripts/pulumi-env.sh sourced and a
#   log() function defined (its messages carry the caller's prefix). Booting needs root (sandbox/sandbox).

_SANDBOX_STACK_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# boot_sandbox_hosts STACK — boots each sandbox host of Pulumi.STACK.yaml that is not running, with the
# index its address asks for. A new host is a blank machine, so when one was booted the stack's state about
# the previous ones is forgotten (`pulumi stack rm --preserve-config`): it would only hide the work to do.
# Sets SANDBOX_HOSTS to the stack's sandbox host names (empty for a stack of real servers).
boot_sandbox_hosts() {
  local stack=$1 hosts name index booted=()
  SANDBOX_HOSTS=()
  [ -f "Pulumi.$stack.yaml" ] || return 0
  # Run from the repository, where node finds tsx, whichever project directory the caller is in.
  hosts=$(file="$PWD/Pulumi.$stack.yaml" && cd "$_SANDBOX_STACK_REPO" && node --import tsx scripts/sandboxStack.ts "$file") || return 1
  while read -r name index; do
    [ -n "$name" ] || continue
    SANDBOX_HOSTS+=("$name")
    if ! "$_SANDBOX_STACK_REPO/sandbox/sandbox" info "$name" >/dev/null 2>&1; then
      log "booting the local disposable host $name"
      "$_SANDBOX_STACK_REPO/sandbox/sandbox" up "$name" --index "$index" >/dev/null || return 1
      booted+=("$name")
    fi
  done <<<"$hosts"
  ((${#booted[@]} > 0)) || return 0
  if pulumi stack select "$stack" >/dev/null 2>&1; then
    if ((${#booted[@]} == 1)); then
      log "${booted[0]} is a new disposable host: forgetting the $stack stack's state about the previous one"
    else
      log "${booted[*]} are new disposable hosts: forgetting the $stack stack's state about the previous ones"
    fi
    pulumi stack rm "$stack" --force --yes --preserve-config >&2
  fi
}
