#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# apply-delete.sh — `pulumi destroy` of the apply step: put back the daemon.json the host had before
# docker-host first changed it (or none, if it had none), remove the docker-host listen drop-in, and
# restart Docker. Data is never touched: no data-root is deleted and the data disk stays mounted.
#
# stdin:  nothing
# args:   ready-timeout=SECONDS
# stdout: {"restored":…,"facts":{…}}
# exit:   0 Docker runs on the restored configuration; 1 it does not (journal on stderr).
DH_STEP=apply-delete
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  local arg timeout=60 restored start_ts
  for arg in "$@"; do
    case $arg in
      ready-timeout=*) timeout=${arg#*=} ;;
      *) die "unknown argument '$arg'" ;;
    esac
  done
  [[ $timeout =~ ^[0-9]+$ ]] || die "ready-timeout must be a number of seconds"
  start_ts=$(date '+%Y-%m-%d %H:%M:%S')

  if [ -e "$DH_BACKUP_DIR/daemon.json.orig" ]; then
    cp -p "$DH_BACKUP_DIR/daemon.json.orig" "$DH_DAEMON_JSON"
    restored=original
  elif [ -e "$DH_BACKUP_DIR/daemon.json.orig-absent" ]; then
    rm -f "$DH_DAEMON_JSON"
    restored=absent
  else
    log "no backup of the original daemon.json; leaving $DH_DAEMON_JSON as it is"
    restored=unchanged
  fi
  rm -f "$DH_DROPIN_LISTEN" "$DH_STATE_DIR/active-dropins.sha256" \
    "$DH_STATE_DIR/applied-daemon.json" "$DH_STATE_DIR/applied-10-docker-host.conf"
  rm -f "$DH_BACKUP_DIR/daemon.json.orig" "$DH_BACKUP_DIR/daemon.json.orig-absent"
  systemctl daemon-reload
  systemctl reset-failed docker.service 2>/dev/null || true
  systemctl restart docker.service || true
  wait_for_docker "$timeout" || die "Docker did not come back after restoring the original configuration. dockerd said:
$(journal_tail "$start_ts")"
  log "restored the host's original daemon.json ($restored); Docker root dir $(docker_fact '{{.DockerRootDir}}')"
  printf '{"restored":"%s","facts":%s}\n' "$restored" "$(docker_facts_json)"
}

main "$@"
