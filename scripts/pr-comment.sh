#!/usr/bin/env bash
# pr-comment.sh — post a stack's preview comment (scripts/preview.sh's OUTFILE) on a pull request, or update
# the one posted for that stack before: one comment per stack, edited in place on every push. The comment is
# found by its first line, the marker scripts/previewComment.ts writes (<!-- docker-host-preview stack=S -->),
# among the comments of COMMENT_AUTHOR.
#
# Usage: scripts/pr-comment.sh PR COMMENT.md
# Environment: GH_TOKEN           a token allowed to write pull-request comments (the workflow's)
#              GITHUB_REPOSITORY  owner/name (set by GitHub Actions)
#              COMMENT_AUTHOR     whose comments may be updated (default: github-actions[bot], the
#                                 workflow token's user)
# Needs gh and jq (both on GitHub's runners).
# Exit codes: 0 posted or updated; 1 a request failed or the file is not a preview comment; 2 usage error.
set -euo pipefail

readonly MARKER='^<!-- docker-host-preview stack=[A-Za-z0-9._-]+ -->$'

die() { printf 'pr-comment: %s\n' "$*" >&2; exit 1; }

main() {
  local pr file marker author id
  (($# == 2)) || { printf 'usage: scripts/pr-comment.sh PR COMMENT.md\n' >&2; exit 2; }
  pr=$1 file=$2
  [[ $pr =~ ^[0-9]+$ ]] || die "PR \"$pr\" is not a pull-request number"
  [ -n "${GITHUB_REPOSITORY:-}" ] || die "GITHUB_REPOSITORY is not set. Fix: export GITHUB_REPOSITORY=owner/name."
  [ -r "$file" ] || die "$file is not a readable file. Fix: name the OUTFILE scripts/preview.sh wrote."
  marker=$(head -n 1 "$file")
  [[ $marker =~ $MARKER ]] || die "$file does not start with a preview marker (got \"$marker\"). Fix: name the OUTFILE scripts/preview.sh wrote."
  author=${COMMENT_AUTHOR:-github-actions[bot]}
  # The marker and author are plain text without quotes or backslashes (checked above), safe in a jq string.
  [[ $author =~ ^[A-Za-z0-9._-]+(\[bot\])?$ ]] || die "COMMENT_AUTHOR \"$author\" is not a GitHub login"
  id=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$pr/comments" \
    --jq ".[] | select(.user.login == \"$author\" and (.body | startswith(\"$marker\"))) | .id" | tail -n 1)
  if [ -n "$id" ]; then
    jq -n --rawfile body "$file" '{body: $body}' |
      gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" --input - >/dev/null
    printf 'pr-comment: updated comment %s on #%s\n' "$id" "$pr" >&2
  else
    gh pr comment "$pr" --repo "$GITHUB_REPOSITORY" --body-file "$file" >&2
  fi
}

main "$@"
