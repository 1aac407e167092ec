#!/bin/sh
# run.sh — entry point of every docker-host step on a host: runs scripts/<step>.sh with bash as root,
# directly when the SSH user is root, else through `sudo -n` after checking that sudo needs no password
# (a user without sudo rights gets one clear line instead of a hung password prompt).
# POSIX sh on purpose: it starts from whatever login shell the user has.
#
# Usage: sh .docker-host/scripts/run.sh STEP [v=SCRIPTS_DIGEST] [ARG...]
#   The v= token only makes a new script version change the command, so Pulumi re-runs it.
# Exit codes: the step's; 1 when sudo is not usable; 2 for an unknown step.
set -eu

step=${1:-}
shift || true
case ${1:-} in v=*) shift ;; esac
case $step in
  gate | disk | disk-delete | apply | apply-delete | prune | prune-delete | tls | tls-delete) ;;
  *)
    echo "docker-host: unknown step '$step'" >&2
    exit 2
    ;;
esac
dir=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" -eq 0 ]; then
  exec /bin/bash "$dir/$step.sh" "$@"
fi
if ! sudo -n true 2>/dev/null; then
  echo "docker-host: user $(id -un) on $(hostname) cannot run sudo without a password. Fix: grant it passwordless sudo (NOPASSWD) or connect as root." >&2
  exit 1
fi
exec sudo -n /bin/bash "$dir/$step.sh" "$@"
