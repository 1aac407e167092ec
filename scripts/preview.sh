#!/usr/bin/env bash
# preview.sh — `pulumi preview --diff` of one stack, and its pull-request comment: the plan in words (one
# line per host that will change) first, then the diff in a collapsible block, cut to GitHub's limit
# (scripts/previewComment.ts composes it). .github/workflows/preview.yml runs it for every stack and posts
# the comment (scripts/pr-comment.sh). Set-up as scripts/up.sh: scripts/pulumi-env.sh, scripts/setup.sh, and
# the stack's sandbox hosts booted first when its hosts are sandbox hosts (scripts/sandbox-stack.sh; root).
#
# Usage: scripts/preview.sh [--cwd DIR] [--log-url URL] STACK OUTFILE
#   --cwd DIR     the Pulumi project holding Pulumi.yaml and Pulumi.STACK.yaml (default: this repository)
#   --log-url URL where the whole output can be read (the workflow run), named in the comment when it is cut
#   OUTFILE       the Markdown comment (written even when the preview fails: it then says so)
#   pulumi's output goes to stderr as it comes.
# Environment: see scripts/pulumi-env.sh (backend; a stack other than dev needs PULUMI_CONFIG_PASSPHRASE or
#   PULUMI_CONFIG_PASSPHRASE_FILE) and scripts/engine.sh. With CI set, each host is also probed for drift.
# Exit codes: 0 previewed and the comment written; 1 the preview failed (comment written) or the set-up
#   failed (no comment; the reason on stderr); 2 usage error.
set -euo pipefail

log() { printf 'preview: %s\n' "$*" >&2; }
usage_error() {
  printf 'preview: %s\nusage: scripts/preview.sh [--cwd DIR] [--log-url URL] STACK OUTFILE\n' "$*" >&2
  exit 2
}

main() {
  local repo project='' log_url='' stack outfile output status=0
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  while (($# > 0)); do
    case $1 in
      --cwd) (($# >= 2)) || usage_error "--cwd needs a directory"; project=$2; shift 2 ;;
      --log-url) (($# >= 2)) || usage_error "--log-url needs a URL"; log_url=$2; shift 2 ;;
      -*) usage_error "unknown option $1" ;;
      *) break ;;
    esac
  done
  (($# == 2)) || usage_error "expected STACK and OUTFILE"
  stack=$1
  outfile=$(realpath -m "$2")
  project=$(cd "${project:-$repo}" && pwd) || usage_error "--cwd $project is not a directory"
  [ -f "$project/Pulumi.$stack.yaml" ] || usage_error "no Pulumi.$stack.yaml in $project"

  # shellcheck source=scripts/pulumi-env.sh
  source "$repo/scripts/pulumi-env.sh" "$stack"
  "$repo/scripts/setup.sh"
  cd "$project"
  # shellcheck source=scripts/sandbox-stack.sh
  source "$repo/scripts/sandbox-stack.sh"
  boot_sandbox_hosts "$stack"
  pulumi stack select --create "$stack" >&2

  output=$(mktemp)
  # shellcheck disable=SC2064 # the file name is fixed now
  trap "rm -f '$output'" EXIT
  log "pulumi preview --diff --stack $stack"
  pulumi preview --diff --stack "$stack" --non-interactive --color never 2>&1 | tee "$output" >&2 || status=${PIPESTATUS[0]}
  (cd "$repo" && node --import tsx scripts/previewComment.ts --stack "$stack" --status "$status" --input "$output" \
    --output "$outfile" ${log_url:+--log-url "$log_url"})
  if ((status != 0)); then
    log "the preview of $stack failed (exit status $status); the comment in $outfile says so"
    return 1
  fi
  log "the comment for $stack is in $outfile"
}

main "$@"
