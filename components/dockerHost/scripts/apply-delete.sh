#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# apply-delete.sh — `pulumi destroy` of the apply step: put back the daemon.json the host had before
# docker-host first changed it (or none, if it had none), remove the docker-host listen drop-in, and
# restart Docker. Data is never touched: no data-root is deleted and the data disk stays mounted.
#
# stdin:  nothing
# args:   ready-timeout=SECONDS
# stdout: {"restored":…,"facts":{…}}
# exit:   0 Docker runs on the restored configuration; 1 it did not start on it — then docker-host's own
#         configuration is put back and Docker started on it, and the backup is kept (journal on stderr).
DH_STEP=apply-delete
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  local arg timeout=60 restored start_ts keep journal
  for arg in "$@"; do
    case $arg in
      ready-timeout=*) timeout=${arg#*=} ;;
      *) die "unknown argument '$arg'" ;;
    esac
  done
  [[ $timeout =~ ^[0-9]+$ ]] || die "ready-timeout must be a number of seconds"
  start_ts=$(date '+%Y-%m-%d %H:%M:%S')

  # What docker-host installed, kept until Docker runs on the restored files: if the host's original
  # configuration no longer starts, these go back so Docker is not left down.
  keep=$(mktemp -d "$DH_STATE_DIR/.delete.XXXXXX")
  [ ! -e "$DH_DAEMON_JSON" ] || cp -p "$DH_DAEMON_JSON" "$keep/daemon.json"
  [ ! -e "$DH_DROPIN_LISTEN" ] || cp -p "$DH_DROPIN_LISTEN" "$keep/10-docker-host.conf"

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
  rm -f "$DH_DROPIN_LISTEN"
  systemctl daemon-reload
  systemctl reset-failed docker.service 2>/dev/null || true
  systemctl restart docker.service || true
  if ! wait_for_docker "$timeout"; then
    journal=$(journal_tail "$start_ts")
    [ ! -e "$keep/daemon.json" ] || cp -p "$keep/daemon.json" "$DH_DAEMON_JSON"
    [ ! -e "$keep/10-docker-host.conf" ] || cp -p "$keep/10-docker-host.conf" "$DH_DROPIN_LISTEN"
    rm -rf "$keep"
    systemctl daemon-reload
    systemctl reset-failed docker.service 2>/dev/null || true
    systemctl restart docker.service || true
    wait_for_docker "$timeout" \
      || die "Docker did not start on the host's original configuration, nor again on docker-host's. Inspect 'journalctl -u docker'. dockerd said:
$journal"
    die "Docker did not start on the host's original daemon.json, so docker-host's configuration was put back and Docker runs on it; the original is still in $DH_BACKUP_DIR. dockerd said:
$journal"
  fi
  rm -rf "$keep"
  rm -f "$DH_STATE_DIR/active-dropins.sha256" "$DH_STATE_DIR/applied-daemon.json" "$DH_STATE_DIR/applied-10-docker-host.conf" \
    "$DH_BACKUP_DIR/daemon.json.orig" "$DH_BACKUP_DIR/daemon.json.orig-absent"
  log "restored the host's original daemon.json ($restored); Docker root dir $(docker_fact '{{.DockerRootDir}}')"
  printf '{"restored":"%s","facts":%s}\n' "$restored" "$(docker_facts_json)"
}

main "$@"
