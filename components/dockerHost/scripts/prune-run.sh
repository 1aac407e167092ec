#!/usr/bin/env bash
# prune-run.sh — one scheduled prune, run by docker-host-prune.service (installed as
# /usr/local/libexec/docker-host/prune). Removes stopped containers, unused images and networks created
# more than PRUNE_OLDER_THAN ago, skipping anything labelled PRUNE_KEEP_LABEL; unused volumes only when
# PRUNE_VOLUMES=true. What each command freed goes to stdout, i.e. the journal.
#
# Environment: PRUNE_OLDER_THAN (e.g. 168h), PRUNE_KEEP_LABEL (e.g. docker-host.keep), PRUNE_VOLUMES.
# Exit codes: 0 pruned; 1 a docker command failed.
set -euo pipefail

main() {
  local keep=--filter=label!=${PRUNE_KEEP_LABEL:?} until=--filter=until=${PRUNE_OLDER_THAN:?}
  echo "docker-host prune: objects older than $PRUNE_OLDER_THAN, keeping label $PRUNE_KEEP_LABEL, volumes: ${PRUNE_VOLUMES:-false}"
  echo "containers: $(docker container prune --force "$until" "$keep" | tail -n 1)"
  echo "images: $(docker image prune --all --force "$until" "$keep" | tail -n 1)"
  echo "networks: $(docker network prune --force "$until" "$keep" | tail -n 1)"
  if [ "${PRUNE_VOLUMES:-false}" = true ]; then
    # Volumes hold data: only pruned when the operator asked for it, and never labelled ones.
    echo "volumes: $(docker volume prune --force "$keep" | tail -n 1)"
  fi
}

main "$@"
