#!/usr/bin/env bash
# apply-delete.sh — `pulumi destroy` of the apply step: put back the daemon.json the host had before
# docker-host first changed it (or none, if it had none), remove the docker-host listen drop-in, and
# restart Docker — on the host's original data root, brought up to date first: when docker-host moved
# data-root, the data comes back with it (the same checks and copy as a move in apply.sh; refused, with
# nothing changed, when the original root changed since or the data does not fit). Nothing is deleted:
# the root Docker leaves stays as it is and the data disk stays mounted.
#
# One transaction under the host lock (txn.sh), journalled like apply.sh.
# stdin:  nothing
# args:   ready-timeout=SECONDS (default DH_READY_TIMEOUT_DEFAULT)
# stdout: {"restored":…,"migrated":…,"facts":{…}}
# exit:   0 Docker runs on the restored configuration; 1 refused (nothing changed: among the checks, dockerd
#         rejecting the original daemon.json, where the Engine can say so), or it did not start on it — then
#         docker-host's own configuration is put back and Docker started on it, and the backup is kept
#         (journal on stderr).
# shellcheck source-path=SCRIPTDIR
DH_STEP=apply-delete
# shellcheck source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

# original_root — Docker's root before docker-host first touched the host: recorded then, or (hosts set up
# by an earlier version) read from the original daemon.json.
original_root() {
  local root=""
  if [ -s "$DH_BACKUP_DIR/data-root.orig" ]; then
    root=$(cat "$DH_BACKUP_DIR/data-root.orig")
  elif [ -e "$DH_BACKUP_DIR/daemon.json.orig" ]; then
    root=$(tr -d '\n' <"$DH_BACKUP_DIR/daemon.json.orig" | sed -n 's/.*"data-root"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
  fi
  printf '%s\n' "${root:-$DH_DEFAULT_ROOT}"
}

restore_original_files() {
  if [ -e "$DH_BACKUP_DIR/daemon.json.orig" ]; then
    cp -p "$DH_BACKUP_DIR/daemon.json.orig" "$DH_DAEMON_JSON"
    RESTORED=original
  elif [ -e "$DH_BACKUP_DIR/daemon.json.orig-absent" ]; then
    rm -f "$DH_DAEMON_JSON"
    RESTORED=absent
  else
    log "no backup of the original daemon.json; leaving $DH_DAEMON_JSON as it is"
    RESTORED=unchanged
  fi
  rm -f "$DH_DROPIN_LISTEN"
  systemctl daemon-reload
}

# put_back_ours REASON — the original configuration did not come up: docker-host's files go back, Docker
# starts on them (and on the root it ran on), and the run fails with dockerd's words.
put_back_ours() {
  local reason=$1 journal from to
  journal=$(journal_tail "$START_TS")
  restore_previous_files
  restart_docker || true
  wait_for_docker "$READY_TIMEOUT" \
    || die "$reason, and Docker did not start again on docker-host's configuration either. Inspect 'journalctl -u docker'. dockerd said:
$journal"
  to=$(journal_get to_root)
  from=$(journal_get from_root)
  if [ -n "$to" ] && [ "$DOCKER_ROOT" = "$from" ]; then root_left "$to"; fi
  start_stopped_containers
  journal_end
  die "$reason, so docker-host's configuration was put back and Docker runs on it; the original is still in $DH_BACKUP_DIR. dockerd said:
$journal"
}

main() {
  local arg live_root orig_root move="" migrated=false verdict
  READY_TIMEOUT=$DH_READY_TIMEOUT_DEFAULT
  RESTORED=unchanged
  for arg in "$@"; do
    case $arg in
      ready-timeout=*) READY_TIMEOUT=${arg#*=} ;;
      *) die "unknown argument '$arg'" ;;
    esac
  done
  [[ $READY_TIMEOUT =~ ^[0-9]+$ ]] || die "ready-timeout must be a number of seconds"
  mkdir -p "$DH_STATE_DIR" "$DH_BACKUP_DIR"

  # Every check before the first change.
  read_docker_info || die "dockerd is not answering, so docker-host cannot tell which root holds Docker's data; nothing was changed. Fix: start Docker ('systemctl start docker') and run destroy again."
  live_root=$DOCKER_ROOT
  orig_root=$(original_root)
  require_safe_path data-root "$orig_root"
  # On an Engine that can say so, an original daemon.json dockerd refuses is found here, before Docker stops
  # (and before any data moves back); on an older one, the failed start below puts docker-host's files back.
  if [ -e "$DH_BACKUP_DIR/daemon.json.orig" ] && verdict=$(dockerd_rejects "$DH_BACKUP_DIR/daemon.json.orig"); then
    die "dockerd rejects the host's original daemon.json, which destroy would put back, so nothing was changed: docker-host's configuration stays in force and Docker keeps running. Fix: correct the original in $DH_BACKUP_DIR/daemon.json.orig and run destroy again. dockerd said:
$verdict"
  fi
  if [ "$orig_root" != "$live_root" ]; then
    log "Docker runs on $live_root; the host's original root is $orig_root: its data goes back there"
    move=$(plan_root_move "$live_root" "$orig_root") || exit 1
  fi

  backup_previous
  journal_begin apply-delete
  printf -v START_TS '%(%Y-%m-%d %H:%M:%S)T' -1
  if [ -n "$move" ]; then
    move_root "$live_root" "$orig_root" "$move"
    migrated=true
  fi
  journal_set files installed
  restore_original_files
  restart_docker || true
  wait_for_docker "$READY_TIMEOUT" || put_back_ours "Docker did not start on the host's original daemon.json"
  # wait_for_docker read the root checked here once dockerd answered.
  [ "$DOCKER_ROOT" = "$orig_root" ] || put_back_ours "Docker started on $DOCKER_ROOT, not on the original root $orig_root"
  journal_set files verified
  [ -z "$move" ] || roots_switched "$live_root" "$orig_root"
  start_stopped_containers
  journal_end

  rm -f "$DH_ACTIVE_DROPINS" "$DH_APPLIED_DAEMON_JSON" "$DH_APPLIED_DROPIN" \
    "$DH_BACKUP_DIR/daemon.json.orig" "$DH_BACKUP_DIR/daemon.json.orig-absent" "$DH_BACKUP_DIR/data-root.orig"
  log "restored the host's original daemon.json ($RESTORED); Docker root dir $DOCKER_ROOT"
  printf '{"restored":"%s","migrated":%s,"facts":%s}\n' "$RESTORED" "$migrated" "$DOCKER_FACTS_JSON"
}

main "$@"
