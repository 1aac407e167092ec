#!/usr/bin/env bash
# apply.sh — install daemon.json and the docker.service drop-in, move data-root if it changes, and
# activate the change with the least disruption; verify, and roll back on any failure.
#
# One transaction (run detached, under the host lock, by txn.sh): every check comes before the first change
# (daemon.json, storage driver, where data-root goes and whether it fits); a data-root copy runs first while
# Docker runs, then dockerd is stopped for the copy's last pass (what changed meanwhile), the config switch
# and the restart, so nothing is written to the old root after the copy; a failure anywhere restores the
# previous daemon.json and drop-in and brings Docker back on its old root (never deleted), and a copy this
# run started in an empty root is removed. The journal (DH_JOURNAL) lets a killed transaction be finished
# or rolled back by recover_interrupted.
#
# Data roots: a move copies into an empty root; into a root Docker left earlier only when nothing changed
# there since (then rsync brings it up to date: never a silent switch to older data); anything else is
# refused. See plan_root_move in lib.sh.
#
# Activation (the table at decide_action): nothing when the files and active drop-ins already match
# (dockerd's PID stays); `reload` (SIGHUP) when only keys dockerd reloads changed; `restart` otherwise
# (systemctl reset-failed first, so repeated applies never trip the unit's StartLimitBurst).
#
# stdin:  the exact bytes of the new /etc/docker/daemon.json (canonical, from daemonJson.ts)
# args:   ready-timeout=SECONDS (default DH_READY_TIMEOUT_DEFAULT)  restart-class=DIGEST (informational: shown
#         in previews)  repair=DIGEST (present when a drift check found files changed outside Pulumi)
#         tls=DIGEST (accepted from earlier versions and ignored; TLS paths are in daemon.json now)
#         (txn.sh has taken owner= and lock-wait= already)
# stdout: {"action":…,"migrated":…,"dropIns":{…},"facts":{…}}
# exit:   0 applied and verified; 1 refused, or failed and rolled back (the reason and journal on stderr).
# shellcheck source-path=SCRIPTDIR
DH_STEP=apply
# shellcheck source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

# Set by main and the checks; read by rollback and move_root (lib.sh) too.
NEW_JSON=""
NEW_DROPIN=""
START_TS=""
READY_TIMEOUT=""
RESTART_CLASS=""
REQUIRED_DRIVER=""
# yes when this apply turns off a containerd image store that holds nothing (turns_off_empty_store).
STORE_OFF=no
NEW_ROOT=""
LIVE_ROOT=""

cleanup() { rm -f "$NEW_JSON" "$NEW_DROPIN"; }

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
# the drop-ins. A change to either needs a restart. (TLS material is versioned: a new version is a new
# path in daemon.json.)
unit_inputs_digest() {
  sha_of "$1" "$DH_DROPIN_DISK"
}

# desired_dropins_digest — the digest as it will be after this apply.
desired_dropins_digest() {
  if [ -s "$NEW_DROPIN" ]; then unit_inputs_digest "$NEW_DROPIN"; else unit_inputs_digest /nonexistent; fi
}

first_touch_backup() {
  # The host's own files and data root before docker-host ever changed them; `destroy` restores these.
  mkdir -p "$DH_BACKUP_DIR"
  if [ ! -e "$DH_BACKUP_DIR/daemon.json.orig" ] && [ ! -e "$DH_BACKUP_DIR/daemon.json.orig-absent" ]; then
    printf '%s\n' "$LIVE_ROOT" >"$DH_BACKUP_DIR/data-root.orig"
    if [ -e "$DH_DAEMON_JSON" ]; then cp -p "$DH_DAEMON_JSON" "$DH_BACKUP_DIR/daemon.json.orig"; else touch "$DH_BACKUP_DIR/daemon.json.orig-absent"; fi
  fi
}

install_new_files() {
  local dropin_changed=no
  chmod 0644 "$NEW_JSON"
  mv -f "$NEW_JSON" "$DH_DAEMON_JSON"
  if [ -s "$NEW_DROPIN" ]; then
    cmp -s "$NEW_DROPIN" "$DH_DROPIN_LISTEN" || { write_file_atomic "$DH_DROPIN_LISTEN" 0644 <"$NEW_DROPIN" && dropin_changed=yes; }
  elif [ -e "$DH_DROPIN_LISTEN" ]; then
    rm -f "$DH_DROPIN_LISTEN"
    dropin_changed=yes
  fi
  # systemd reads unit files only on a daemon-reload (≈ 160 ms of the host's CPU): needed when our drop-in
  # changed, or when systemd says a file of docker.service changed on disk since it loaded them.
  if [ "$dropin_changed" = yes ] || [ "$(systemctl show -p NeedDaemonReload --value docker.service)" != no ]; then
    systemctl daemon-reload
  fi
}

# rollback REASON — restore the previous files, bring Docker back (on its old root: a completed copy
# stays, known as a root Docker left), fail with dockerd's own words.
rollback() {
  local reason=$1 journal to
  journal=$(journal_tail "$START_TS")
  log "rolling back: $reason"
  restore_previous_files
  restart_docker || true
  if ! wait_for_docker "$READY_TIMEOUT"; then
    die "$reason. Rolling back to the previous configuration FAILED too: Docker is not answering. Inspect 'journalctl -u docker'. dockerd said:
$journal"
  fi
  to=$(journal_get to_root)
  if [ -n "$to" ] && [ "$DOCKER_ROOT" != "$to" ]; then root_left "$to"; fi
  start_stopped_containers
  journal_end
  die "$reason. The previous daemon.json and drop-in were restored and Docker is running again. dockerd said:
$journal"
}

# drop_ins_state — the docker.service drop-ins this apply wants, against the ones dockerd last started with
# (DH_ACTIVE_DROPINS) and the ones on disk: "in-force" (all three agree), "edited" (dockerd runs with the
# wanted ones, but a file on disk was changed since), "changed" (dockerd must start again to read them).
drop_ins_state() {
  local desired active installed
  desired=$(desired_dropins_digest)
  # No record: nothing of docker-host's was ever active.
  active=$(cat "$DH_ACTIVE_DROPINS" 2>/dev/null || sha_of /nonexistent /nonexistent)
  installed=$(unit_inputs_digest "$DH_DROPIN_LISTEN")
  if [ "$desired" != "$active" ]; then
    echo changed
  elif [ "$desired" = "$installed" ]; then
    echo in-force
  else
    echo edited
  fi
}

# daemon_json_state — the new daemon.json against the installed one: "same" (byte for byte), "reloadable"
# (only keys dockerd reloads differ), "restart" (a restart-class key differs, there is none installed, or the
# installed one is not canonical: hand-written).
daemon_json_state() {
  local old new
  if cmp -s "$NEW_JSON" "$DH_DAEMON_JSON"; then
    echo same
  elif [ -e "$DH_DAEMON_JSON" ] && old=$(restart_projection "$DH_DAEMON_JSON") \
    && new=$(restart_projection "$NEW_JSON") && [ "$old" = "$new" ]; then
    echo reloadable
  else
    echo restart
  fi
}

# decide_action ROOT_MOVES — how the change reaches dockerd (ROOT_MOVES: yes or no), the first row that
# matches:
#
#   data-root   drop-ins    daemon.json   action    why
#   moves       any         any           restart   the copy's last pass needs dockerd stopped anyway
#   stays       changed     any           restart   dockerd reads drop-ins only when it starts
#   stays       in-force    same          none      nothing to do: dockerd's PID stays
#   stays       any         same          reload    only a drop-in file was edited on disk: rewritten, and
#                                                   dockerd already runs with what it says
#   stays       any         reloadable    reload    SIGHUP: dockerd re-reads those keys
#   stays       any         restart       restart
decide_action() {
  local drop_ins json
  drop_ins=$(drop_ins_state)
  json=$(daemon_json_state)
  case "$1:$drop_ins:$json" in
    yes:*:*) echo restart ;;
    no:changed:*) echo restart ;;
    no:in-force:same) echo none ;;
    no:*:same | no:*:reloadable) echo reload ;;
    *) echo restart ;;
  esac
}

# record_applied — keep copies of what is now in force, so drift checks can tell what changed outside Pulumi.
record_applied() {
  cmp -s "$DH_DAEMON_JSON" "$DH_APPLIED_DAEMON_JSON" 2>/dev/null || cp -p "$DH_DAEMON_JSON" "$DH_APPLIED_DAEMON_JSON"
  if [ -e "$DH_DROPIN_LISTEN" ]; then
    cmp -s "$DH_DROPIN_LISTEN" "$DH_APPLIED_DROPIN" 2>/dev/null || cp -p "$DH_DROPIN_LISTEN" "$DH_APPLIED_DROPIN"
  else
    rm -f "$DH_APPLIED_DROPIN"
  fi
}

# print_result ACTION MIGRATED — the step's JSON result. Its facts are those verify (or, with no action, the
# checks) read: after a reload too, since reload_docker waited for dockerd's verdict, which it logs once the
# new configuration is applied.
print_result() {
  local action=$1 migrated=$2 listen="" disk=""
  [ -e "$DH_DROPIN_LISTEN" ] && listen=$(<"$DH_DROPIN_LISTEN")
  [ -e "$DH_DROPIN_DISK" ] && disk=$(<"$DH_DROPIN_DISK")
  printf '{"action":"%s","migrated":%s,"dropIns":{"10-docker-host.conf":%s,"20-docker-host-data-disk.conf":%s},"facts":%s}\n' \
    "$action" "$migrated" "$(json_escape "$listen")" "$(json_escape "$disk")" "$DOCKER_FACTS_JSON"
}

# parse_args ARG... — sets READY_TIMEOUT and RESTART_CLASS.
parse_args() {
  local arg
  READY_TIMEOUT=$DH_READY_TIMEOUT_DEFAULT
  RESTART_CLASS=""
  for arg in "$@"; do
    case $arg in
      ready-timeout=*) READY_TIMEOUT=${arg#*=} ;;
      restart-class=*) RESTART_CLASS=${arg#*=} ;;
      repair=*) log "repairing drift (${arg#*=}): files were changed outside Pulumi" ;;
      tls=*) ;; # from earlier versions (TLS material is versioned in daemon.json now)
      *) die "unknown argument '$arg'" ;;
    esac
  done
  [[ $READY_TIMEOUT =~ ^[0-9]+$ ]] || die "ready-timeout must be a number of seconds"
}

# turns_off_empty_store — the running Docker keeps images in a containerd image store that holds no image
# and no container (a fresh Engine 29 install), and the new daemon.json does not turn the store on
# (features.containerd-snapshotter true, a line of its own in the canonical form; validate/daemon.ts refuses
# it): it names a graph driver, which dockerd then starts on, so the restart turns the store off, hiding
# nothing. Asked again here, under the host lock, because an image pulled since the gate would vanish from
# sight.
turns_off_empty_store() {
  local json
  json=$(<"$NEW_JSON")
  if [[ $json =~ $'\n  "features": {\n'([^}]*)$'\n  }' ]] &&
    [[ $'\n'${BASH_REMATCH[1]}$'\n' =~ $'\n    "containerd-snapshotter": true'(,)?$'\n' ]]; then
    return 1
  fi
  containerd_store_contents && ((STORE_IMAGES == 0 && STORE_CONTAINERS == 0))
}

# check_before_change — every check that needs no change: the daemon.json received (canonical, and valid to
# dockerd where it can say), Docker answering on the required storage driver (or on an empty containerd image
# store, which the restart turns off), and the data-root it names. Sets REQUIRED_DRIVER, STORE_OFF, NEW_ROOT
# and LIVE_ROOT; renders the listen drop-in into NEW_DROPIN.
check_before_change() {
  local live_driver verdict
  [ -s "$NEW_JSON" ] || die "received an empty daemon.json on stdin"
  restart_projection "$NEW_JSON" >/dev/null || die "the daemon.json received is not in the canonical form daemonJson.ts renders"
  read_docker_info || die "dockerd is not answering before the change, so nothing was changed. Fix: start Docker ('systemctl start docker') and re-run."
  if verdict=$(dockerd_rejects "$NEW_JSON"); then die "dockerd rejects the new daemon.json: $verdict"; fi

  REQUIRED_DRIVER=$(json_top_string storage-driver "$NEW_JSON")
  live_driver=$DOCKER_DRIVER
  if [ -n "$REQUIRED_DRIVER" ] && [ "$live_driver" != "$REQUIRED_DRIVER" ]; then
    turns_off_empty_store || die "Docker uses storage driver '$live_driver', not '$REQUIRED_DRIVER'; nothing was changed (see the gate step)."
    STORE_OFF=yes
    log "turning off the containerd image store, which holds no image and no container: Docker restarts on storage driver '$REQUIRED_DRIVER'"
  fi
  NEW_ROOT=$(json_top_string data-root "$NEW_JSON")
  NEW_ROOT=${NEW_ROOT:-$DH_DEFAULT_ROOT}
  require_safe_path data-root "$NEW_ROOT"
  LIVE_ROOT=$DOCKER_ROOT

  if json_has_top_key hosts "$NEW_JSON"; then render_listen_dropin >"$NEW_DROPIN"; else : >"$NEW_DROPIN"; fi
}

# verify ACTION — dockerd answers, on the new root and storage driver; a reload was taken. Rolls back if not.
verify() {
  local action=$1 old_pid=$2 new_pid
  # wait_for_docker read the facts checked here once dockerd answered.
  wait_for_docker "$READY_TIMEOUT" || rollback "dockerd did not answer within ${READY_TIMEOUT}s of the $action"
  [ "$DOCKER_ROOT" = "$NEW_ROOT" ] || rollback "dockerd reports Docker root dir '$DOCKER_ROOT', expected '$NEW_ROOT'"
  if [ -n "$REQUIRED_DRIVER" ] && [ "$DOCKER_DRIVER" != "$REQUIRED_DRIVER" ]; then
    rollback "dockerd reports storage driver '$DOCKER_DRIVER', expected '$REQUIRED_DRIVER'"
  fi
  if [ "$action" = reload ]; then
    new_pid=$(dockerd_pid)
    [ "$new_pid" = "$old_pid" ] || log "warning: dockerd's PID changed during a reload ($old_pid -> $new_pid)"
  fi
}

# reload_docker — SIGHUP dockerd (systemctl reload) and wait for its verdict, which it logs after systemctl has
# returned: "Reloaded configuration" at log level info, an error line when it refused (Engine 20.10: "file
# configuration validation failed: …", 26: "Error reconfiguring the daemon: …", both: "conflict labels …").
# Under a log level that hides info lines, no error within DH_RELOAD_SETTLE_SECONDS counts as taken. Fails,
# printing dockerd's error lines, when it refused. Only lines after the journal's cursor before the signal
# count: a second-resolution --since would take in an earlier run's errors.
reload_docker() {
  local cursor lines deadline
  # The cursor is journalctl's last line; read with bash's own regex (a process less per reload).
  cursor=$(journalctl -u docker.service -n 1 --show-cursor -o cat --no-pager 2>/dev/null || true)
  [[ $cursor =~ (^|$'\n')'-- cursor: '([^$'\n']*)$ ]] && cursor=${BASH_REMATCH[2]} || cursor=""
  systemctl reload docker.service || { printf 'systemctl reload docker.service failed\n'; return 1; }
  deadline=$((SECONDS + DH_RELOAD_SETTLE_SECONDS))
  while :; do
    if [ -n "$cursor" ]; then
      lines=$(journalctl -u docker.service --after-cursor "$cursor" -o cat --no-pager 2>/dev/null || true)
    else
      lines=$(journalctl -u docker.service --since "$START_TS" -o cat --no-pager 2>/dev/null || true)
    fi
    # Read whole, then matched: in a pipe, grep leaving at the match could fail it under pipefail.
    # dockerd's text log lines (level=error) or, with "log-format": "json", JSON ones ("level":"error").
    if grep -E 'level=(error|fatal) |"level":"(error|fatal)"' <<<"$lines"; then return 1; fi
    [[ $lines != *'Reloaded configuration'* ]] || return 0
    ((SECONDS < deadline)) || return 0
    sleep 0.1
  done
}

# rollback_reload REASON REFUSAL — dockerd refused the reload and runs on the configuration it had: the previous
# files go back and dockerd reads them again (a reload refused halfway may have taken some keys first), without
# a restart. Only if that reload is refused too does Docker restart on them (rollback).
rollback_reload() {
  local reason=$1 refusal=$2 again
  log "rolling back: $reason"
  restore_previous_files
  if again=$(reload_docker) && wait_for_docker "$READY_TIMEOUT"; then
    journal_end
    die "$reason, so it runs on its previous configuration: the previous daemon.json was put back and read again, without a restart. dockerd said:
$refusal"
  fi
  rollback "$reason, and reading the previous configuration again was refused too: $again"
}

# activate ACTION MOVE — the transaction: keep the previous files, copy data-root (MOVE: copy, delta or ""),
# install the new files, reload or restart, verify; any failure rolls back (rollback, move_root).
activate() {
  local action=$1 move=$2 old_pid refusal
  backup_previous
  journal_begin apply
  printf -v START_TS '%(%Y-%m-%d %H:%M:%S)T' -1
  old_pid=$(dockerd_pid)
  [ -z "$move" ] || move_root "$LIVE_ROOT" "$NEW_ROOT" "$move"

  journal_set files installed
  install_new_files
  case $action in
    reload) refusal=$(reload_docker) || rollback_reload "dockerd refused to reload the new configuration" "$refusal" ;;
    restart) restart_docker || rollback "docker.service did not start with the new configuration" ;;
  esac
  verify "$action" "$old_pid"
  journal_set files verified
  [ -z "$move" ] || roots_switched "$LIVE_ROOT" "$NEW_ROOT"
  start_stopped_containers
  journal_end
  desired_dropins_digest >"$DH_ACTIVE_DROPINS"
}

main() {
  local action move="" root_moves=no migrated=false
  parse_args "$@"
  mkdir -p "$DH_STATE_DIR" "$DH_BACKUP_DIR" "${DH_DAEMON_JSON%/*}" "$DH_DROPIN_DIR"
  trap cleanup EXIT
  NEW_JSON=$(mktemp "${DH_DAEMON_JSON%/*}/.daemon.json.new.XXXXXX")
  NEW_DROPIN=$(mktemp "$DH_STATE_DIR/.dropin.XXXXXX")
  cat >"$NEW_JSON"
  check_before_change
  [ "$NEW_ROOT" = "$LIVE_ROOT" ] || root_moves=yes
  action=$(decide_action "$root_moves") || exit 1
  # Only a restart switches the image store (even if daemon.json already said so).
  [ "$STORE_OFF" = no ] || action=restart
  log "action: $action (restart-class digest ${RESTART_CLASS:-n/a}); data-root $LIVE_ROOT -> $NEW_ROOT"
  # The last check before the first change: where the data goes, and whether it fits there.
  if [ "$root_moves" = yes ]; then
    move=$(plan_root_move "$LIVE_ROOT" "$NEW_ROOT") || exit 1
    migrated=true
  fi

  first_touch_backup
  [ "$action" = none ] || activate "$action" "$move"
  record_applied
  print_result "$action" "$migrated"
}

main "$@"
