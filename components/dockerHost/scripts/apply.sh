#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# apply.sh — install daemon.json and the docker.service drop-in, move data-root if it changes, and
# activate the change with the least disruption; verify, and roll back on any failure.
#
# One script, one transaction: the data-root copy, the config switch and the restart happen while
# dockerd is stopped, so nothing is written to the old root after the copy, and a failure anywhere
# restores the previous daemon.json and drop-in and brings Docker back on its old root (never deleted).
#
# Activation: nothing when the files and active drop-ins already match (dockerd's PID stays); `reload`
# (SIGHUP) when only keys dockerd reloads changed; `restart` otherwise (systemctl reset-failed first,
# so repeated applies never trip the unit's StartLimitBurst).
#
# stdin:  the exact bytes of the new /etc/docker/daemon.json (canonical, from daemonJson.ts)
# args:   ready-timeout=SECONDS  restart-class=DIGEST (informational: shown in previews)
#         repair=DIGEST (present when a drift check found files changed outside Pulumi)
# stdout: {"action":…,"migrated":…,"dropIns":{…},"facts":{…}}
# exit:   0 applied and verified; 1 refused, or failed and rolled back (the reason and journal on stderr).
DH_STEP=apply
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NEW_JSON=""
NEW_DROPIN=""
START_TS=""
MIGRATE_STOPPED_IDS=()

cleanup() { rm -f "$NEW_JSON" "$NEW_DROPIN"; }

validate_with_dockerd() {
  # dockerd --validate exists from Engine 23; Debian 12's 20.10 lacks it, and then the component's
  # own validation stands alone.
  if dockerd --help 2>&1 | grep -q -- '--validate'; then
    local out
    out=$(dockerd --validate --config-file "$1" 2>&1) || die "dockerd rejects the new daemon.json: $out"
  fi
}

render_listen_dropin() {
  local exec_start stripped
  exec_start=$(host_exec_start)
  [ -n "$exec_start" ] || die "docker.service has no ExecStart to rewrite"
  stripped=$(strip_host_flags "$exec_start")
  cat <<DROPIN
# Managed by docker-host: daemon.json sets "hosts", which dockerd refuses to take from both a -H flag
# and the file, so ExecStart is cleared and set again from the host's own unit without -H.
[Service]
ExecStart=
ExecStart=$stripped
DROPIN
}

# unit_inputs_digest LISTEN_DROPIN — one digest over what dockerd reads only at start besides daemon.json:
# the drop-ins and the TLS files. A change to any of them needs a restart.
unit_inputs_digest() {
  sha_of "$1" "$DH_DROPIN_DISK" "$DH_TLS_DIR/ca.pem" "$DH_TLS_DIR/server-cert.pem" "$DH_TLS_DIR/server-key.pem"
}

# desired_dropins_digest — the digest as it will be after this apply.
desired_dropins_digest() {
  if [ -s "$NEW_DROPIN" ]; then unit_inputs_digest "$NEW_DROPIN"; else unit_inputs_digest /nonexistent; fi
}

first_touch_backup() {
  # The host's own files before docker-host ever changed them; `destroy` restores these.
  mkdir -p "$DH_BACKUP_DIR"
  if [ ! -e "$DH_BACKUP_DIR/daemon.json.orig" ] && [ ! -e "$DH_BACKUP_DIR/daemon.json.orig-absent" ]; then
    if [ -e "$DH_DAEMON_JSON" ]; then cp -p "$DH_DAEMON_JSON" "$DH_BACKUP_DIR/daemon.json.orig"; else touch "$DH_BACKUP_DIR/daemon.json.orig-absent"; fi
  fi
}

backup_previous() {
  rm -f "$DH_BACKUP_DIR"/daemon.json.prev* "$DH_BACKUP_DIR"/10-docker-host.conf.prev*
  if [ -e "$DH_DAEMON_JSON" ]; then cp -p "$DH_DAEMON_JSON" "$DH_BACKUP_DIR/daemon.json.prev"; else touch "$DH_BACKUP_DIR/daemon.json.prev-absent"; fi
  if [ -e "$DH_DROPIN_LISTEN" ]; then cp -p "$DH_DROPIN_LISTEN" "$DH_BACKUP_DIR/10-docker-host.conf.prev"; else touch "$DH_BACKUP_DIR/10-docker-host.conf.prev-absent"; fi
  cp -p "$DH_STATE_DIR/active-dropins.sha256" "$DH_BACKUP_DIR/active-dropins.sha256.prev" 2>/dev/null || true
}

install_new_files() {
  chmod 0644 "$NEW_JSON"
  mv -f "$NEW_JSON" "$DH_DAEMON_JSON"
  if [ -s "$NEW_DROPIN" ]; then
    write_file_atomic "$DH_DROPIN_LISTEN" 0644 <"$NEW_DROPIN"
  else
    rm -f "$DH_DROPIN_LISTEN"
  fi
  systemctl daemon-reload
}

restore_previous_files() {
  if [ -e "$DH_BACKUP_DIR/daemon.json.prev" ]; then cp -p "$DH_BACKUP_DIR/daemon.json.prev" "$DH_DAEMON_JSON"; else rm -f "$DH_DAEMON_JSON"; fi
  if [ -e "$DH_BACKUP_DIR/10-docker-host.conf.prev" ]; then cp -p "$DH_BACKUP_DIR/10-docker-host.conf.prev" "$DH_DROPIN_LISTEN"; else rm -f "$DH_DROPIN_LISTEN"; fi
  systemctl daemon-reload
}

restart_docker() {
  systemctl reset-failed docker.service 2>/dev/null || true
  systemctl restart docker.service
}

start_stopped_containers() {
  local id
  for id in "${MIGRATE_STOPPED_IDS[@]}"; do
    docker start "$id" >/dev/null 2>&1 || log "warning: could not start container $id again"
  done
}

# rollback REASON — restore the previous files, bring Docker back, fail with dockerd's own words.
rollback() {
  local reason=$1 journal
  journal=$(journal_tail "$START_TS")
  log "rolling back: $reason"
  restore_previous_files
  restart_docker || true
  if ! wait_for_docker "$READY_TIMEOUT"; then
    die "$reason. Rolling back to the previous configuration FAILED too: Docker is not answering. Inspect 'journalctl -u docker'. dockerd said:
$journal"
  fi
  start_stopped_containers
  die "$reason. The previous daemon.json and drop-in were restored and Docker is running again. dockerd said:
$journal"
}

# migrate_data_root OLD NEW — copy OLD into NEW with owners, modes, ACLs, xattrs, hard links and sparse
# files kept, then check that a dry run finds no difference. Docker must be stopped. NEW may be a mount
# point (its lost+found is left alone). A marker file says "copy in progress", so an interrupted copy is
# resumed next time instead of being taken for data. OLD is never modified or deleted.
migrate_data_root() {
  local old=$1 new=$2 diff
  local -a options=(-aHAXS --numeric-ids --exclude=/lost+found "--exclude=/$DH_MIGRATING_MARKER")
  have rsync || die "rsync is needed to move data-root. Fix: apt-get install rsync."
  mkdir -p "$new"
  touch "$new/$DH_MIGRATING_MARKER"
  log "copying $old to $new"
  rsync "${options[@]}" "$old/" "$new/" || return 1
  diff=$(rsync "${options[@]}" --dry-run --itemize-changes --delete "$old/" "$new/") || return 1
  if [ -n "$diff" ]; then
    log "the copy differs from the original: $(head -n 5 <<<"$diff")"
    return 1
  fi
  rm -f "$new/$DH_MIGRATING_MARKER"
}

decide_action() {
  local new_root=$1 live_root=$2 desired active installed old_projection new_projection
  if [ "$new_root" != "$live_root" ]; then echo restart; return; fi
  desired=$(desired_dropins_digest)
  # No record: nothing of docker-host's was ever active.
  active=$(cat "$DH_STATE_DIR/active-dropins.sha256" 2>/dev/null || sha_of /nonexistent /nonexistent /nonexistent /nonexistent /nonexistent)
  installed=$(unit_inputs_digest "$DH_DROPIN_LISTEN")
  if cmp -s "$NEW_JSON" "$DH_DAEMON_JSON" && [ "$desired" = "$active" ] && [ "$desired" = "$installed" ]; then
    echo none
    return
  fi
  if [ "$desired" = "$active" ] && [ -e "$DH_DAEMON_JSON" ] \
    && old_projection=$(restart_projection "$DH_DAEMON_JSON") \
    && new_projection=$(restart_projection "$NEW_JSON") \
    && [ "$old_projection" = "$new_projection" ]; then
    echo reload
    return
  fi
  echo restart
}

# record_applied — keep copies of what is now in force, so drift checks can tell what changed outside Pulumi.
record_applied() {
  cmp -s "$DH_DAEMON_JSON" "$DH_STATE_DIR/applied-daemon.json" 2>/dev/null \
    || cp -p "$DH_DAEMON_JSON" "$DH_STATE_DIR/applied-daemon.json"
  if [ -e "$DH_DROPIN_LISTEN" ]; then
    cmp -s "$DH_DROPIN_LISTEN" "$DH_STATE_DIR/applied-10-docker-host.conf" 2>/dev/null \
      || cp -p "$DH_DROPIN_LISTEN" "$DH_STATE_DIR/applied-10-docker-host.conf"
  else
    rm -f "$DH_STATE_DIR/applied-10-docker-host.conf"
  fi
}

print_result() {
  local action=$1 migrated=$2 listen="" disk=""
  [ -e "$DH_DROPIN_LISTEN" ] && listen=$(cat "$DH_DROPIN_LISTEN")
  [ -e "$DH_DROPIN_DISK" ] && disk=$(cat "$DH_DROPIN_DISK")
  printf '{"action":"%s","migrated":%s,"dropIns":{"10-docker-host.conf":%s,"20-docker-host-data-disk.conf":%s},"facts":%s}\n' \
    "$action" "$migrated" "$(json_escape "$listen")" "$(json_escape "$disk")" "$(docker_facts_json)"
}

main() {
  local arg digest="" action migrated=false new_root live_root required_driver live_driver old_pid new_pid
  READY_TIMEOUT=60
  for arg in "$@"; do
    case $arg in
      ready-timeout=*) READY_TIMEOUT=${arg#*=} ;;
      restart-class=*) digest=${arg#*=} ;;
      repair=*) log "repairing drift (${arg#*=}): files were changed outside Pulumi" ;;
      tls=*) ;; # digest of the TLS material: a rotation re-runs this step (and restarts dockerd)
      *) die "unknown argument '$arg'" ;;
    esac
  done
  [[ $READY_TIMEOUT =~ ^[0-9]+$ ]] || die "ready-timeout must be a number of seconds"

  mkdir -p "$DH_STATE_DIR" "$DH_BACKUP_DIR" /etc/docker "$DH_DROPIN_DIR"
  trap cleanup EXIT
  NEW_JSON=$(mktemp /etc/docker/.daemon.json.new.XXXXXX)
  NEW_DROPIN=$(mktemp "$DH_STATE_DIR/.dropin.XXXXXX")
  cat >"$NEW_JSON"
  [ -s "$NEW_JSON" ] || die "received an empty daemon.json on stdin"
  restart_projection "$NEW_JSON" >/dev/null || die "the daemon.json received is not in the canonical form daemonJson.ts renders"
  validate_with_dockerd "$NEW_JSON"

  docker_up || die "dockerd is not answering before the change, so nothing was changed. Fix: start Docker ('systemctl start docker') and re-run."
  required_driver=$(json_top_string storage-driver "$NEW_JSON")
  live_driver=$(docker_fact '{{.Driver}}')
  if [ -n "$required_driver" ] && [ "$live_driver" != "$required_driver" ]; then
    die "Docker uses storage driver '$live_driver', not '$required_driver'; nothing was changed (see the gate step)."
  fi
  new_root=$(json_top_string data-root "$NEW_JSON")
  new_root=${new_root:-$DH_DEFAULT_ROOT}
  require_safe_path data-root "$new_root"
  live_root=$(docker_fact '{{.DockerRootDir}}')

  if json_has_top_key hosts "$NEW_JSON"; then render_listen_dropin >"$NEW_DROPIN"; else : >"$NEW_DROPIN"; fi
  first_touch_backup
  action=$(decide_action "$new_root" "$live_root")
  log "action: $action (restart-class digest ${digest:-n/a}); data-root $live_root -> $new_root"

  if [ "$action" = none ]; then
    record_applied
    print_result none false
    return 0
  fi

  backup_previous
  START_TS=$(date '+%Y-%m-%d %H:%M:%S')
  old_pid=$(dockerd_pid)

  if [ "$new_root" != "$live_root" ]; then
    if ! dir_is_empty "$live_root" && { dir_is_empty "$new_root" || [ -e "$new_root/$DH_MIGRATING_MARKER" ]; }; then
      mapfile -t MIGRATE_STOPPED_IDS < <(docker ps -q --no-trunc)
      if ((${#MIGRATE_STOPPED_IDS[@]} > 0)); then
        log "stopping ${#MIGRATE_STOPPED_IDS[@]} running container(s) for the copy; they are started again afterwards"
        docker stop "${MIGRATE_STOPPED_IDS[@]}" >/dev/null
      fi
      systemctl stop docker.socket docker.service
      if ! migrate_data_root "$live_root" "$new_root"; then
        restart_docker || true
        if ! wait_for_docker "$READY_TIMEOUT"; then
          die "copying $live_root to $new_root failed, and Docker did not come back on $live_root (untouched). Inspect 'journalctl -u docker'. dockerd said:
$(journal_tail "$START_TS")"
        fi
        start_stopped_containers
        die "copying $live_root to $new_root failed; nothing was switched, Docker runs on $live_root as before, and $live_root is untouched."
      fi
      migrated=true
    elif ! dir_is_empty "$new_root"; then
      log "$new_root already holds data; using it as it is (nothing copied)"
    fi
  fi

  install_new_files
  case $action in
    reload) systemctl reload docker.service || rollback "systemctl reload docker failed" ;;
    restart)
      systemctl reset-failed docker.service 2>/dev/null || true
      systemctl start docker.socket 2>/dev/null || true
      systemctl restart docker.service || rollback "docker.service did not start with the new configuration"
      ;;
  esac
  wait_for_docker "$READY_TIMEOUT" || rollback "dockerd did not answer within ${READY_TIMEOUT}s of the $action"

  # Verify what dockerd really runs with.
  [ "$(docker_fact '{{.DockerRootDir}}')" = "$new_root" ] \
    || rollback "dockerd reports Docker root dir '$(docker_fact '{{.DockerRootDir}}')', expected '$new_root'"
  if [ -n "$required_driver" ] && [ "$(docker_fact '{{.Driver}}')" != "$required_driver" ]; then
    rollback "dockerd reports storage driver '$(docker_fact '{{.Driver}}')', expected '$required_driver'"
  fi
  if [ "$action" = reload ]; then
    new_pid=$(dockerd_pid)
    [ "$new_pid" = "$old_pid" ] || log "warning: dockerd's PID changed during a reload ($old_pid -> $new_pid)"
    if journal_tail "$START_TS" | grep -qiE 'error (reconfiguring|reloading)|unable to configure'; then
      rollback "dockerd refused to reload the new configuration"
    fi
  fi
  start_stopped_containers

  desired_dropins_digest >"$DH_STATE_DIR/active-dropins.sha256"
  record_applied
  print_result "$action" "$migrated"
}

main "$@"
