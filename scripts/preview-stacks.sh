#!/usr/bin/env bash
# preview-stacks.sh — the stacks the pull-request preview workflow previews: every top-level
# Pulumi.<stack>.yaml of this repository, as a JSON array of names on one line (e.g. ["dev"]), for the
# workflow's matrix (fromJSON). Derived from the files so the workflow never names a stack that does not exist.
#
# Usage: scripts/preview-stacks.sh
# Exit codes: 0 printed (at least one stack); 1 no stack file, or a stack name that is not plain
#   [A-Za-z0-9._-] (printed as JSON without escaping, and a Pulumi stack name is no more).
set -euo pipefail

main() {
  local file stack json='' count=0
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  for file in Pulumi.*.yaml; do
    [ -f "$file" ] || continue
    stack=${file#Pulumi.}
    stack=${stack%.yaml}
    if ! [[ $stack =~ ^[A-Za-z0-9._-]+$ ]]; then
      printf 'preview-stacks: %s: the stack name "%s" is not [A-Za-z0-9._-]+. Fix: rename the file.\n' "$file" "$stack" >&2
      return 1
    fi
    json+="${json:+,}\"$stack\""
    count=$((count + 1))
  done
  if ((count == 0)); then
    printf 'preview-stacks: no Pulumi.<stack>.yaml in %s. Fix: commit a stack file (see README, "Real servers").\n' "$PWD" >&2
    return 1
  fi
  printf '[%s]\n' "$json"
}

main "$@"
