#!/usr/bin/env bash
# txn.sh — runs a step that changes the host as a detached transaction: its own transient systemd unit,
# so a lost SSH session, a provider timeout or a signal on the session never stops it halfway. The session
# side starts the unit, streams its log to stderr, waits for its result and prints its stdout. In the unit,
# the step waits for the host lock (bounded), first finishes any transaction a previous run left
# interrupted, then runs. If the unit itself is killed, its ExecStopPost recovers (see recover_interrupted).
#
# Usage (run.sh, as root):  txn.sh STEP [owner=WHO] [lock-wait=SECONDS] [ARG...]   (stdin: the step's)
#       (the unit):          txn.sh --run JOB_DIR STEP [ARG...]
#       (ExecStopPost):      txn.sh --after JOB_DIR
# Exit codes: the step's; 1 when the transaction could not start or ended without a result.
# shellcheck source-path=SCRIPTDIR
case ${1:-} in
  --run) DH_STEP=${3:-txn} ;;
  --after) DH_STEP=recovery ;;
  *) DH_STEP=${1:-txn} ;;
esac
# shellcheck source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

HERE=$(cd "${BASH_SOURCE[0]%/*}" && pwd)
readonly HERE

# How long recovery may wait for Docker to answer again.
readonly RECOVERY_READY_TIMEOUT=120

# start STEP ARG... — the session side.
start() {
  local step=$1 owner=unknown lock_wait=$DH_LOCK_WAIT_DEFAULT arg job unit state rc polls=0 log_fd pause_fd
  shift
  local -a args=()
  for arg in "$@"; do
    case $arg in
      owner=*) owner=${arg#*=} ;;
      lock-wait=*) lock_wait=${arg#*=} ;;
      *) args+=("$arg") ;;
    esac
  done
  [[ $lock_wait =~ ^[0-9]+$ ]] || die "lock-wait must be a number of seconds"
  have systemd-run || die "systemd-run is required (systemd)."
  mkdir -p "$DH_JOBS_DIR"
  # Only the jobs are private (a job's stdin may hold the TLS key): the drift probe reads the state folder's
  # applied-* copies as the SSH user, without sudo.
  chmod 0755 "$DH_STATE_DIR"
  chmod 0700 "$DH_JOBS_DIR"
  # Results nobody collected (their session was lost) are kept a week for inspection.
  find "$DH_JOBS_DIR" -mindepth 1 -maxdepth 1 -mtime +7 -exec rm -rf -- {} + 2>/dev/null || true
  job=$(mktemp -d "$DH_JOBS_DIR/$step.XXXXXXXX")
  unit="docker-host-txn-${job##*/}"
  unit=${unit//./-}
  # The unit reads its stdin from this file (0600: it may hold the TLS key) and removes it at once.
  (umask 077 && cat >"$job/stdin")
  : >"$job/log"
  # Before the unit starts: its ExecStopPost wakes the follow loop below through it (wake_session).
  mkfifo -m 0600 "$job/pause"
  systemd-run --quiet --collect --unit="$unit" --description="docker-host $step for $owner" \
    --property=Type=exec \
    --property=StandardOutput="append:$job/stdout" \
    --property=StandardError="append:$job/log" \
    --property=TimeoutStopSec=15min \
    --property=ExecStopPost="/bin/bash $HERE/txn.sh --after $job" \
    --setenv=DH_OWNER="$owner" --setenv=DH_LOCK_WAIT="$lock_wait" --setenv=DH_UNIT="$unit.service" \
    /bin/bash "$HERE/txn.sh" --run "$job" "$step" "${args[@]}" \
    || die "could not start the transaction unit $unit"
  # Follow: the log as it grows, until the unit is done: its exit code written and its ExecStopPost (after)
  # finished — only then is the job folder removed (systemd opens the log files again for ExecStopPost, which
  # could not start, and so could not recover a failed step, in a folder already gone). Every 0.1 s with
  # builtins only (a stat and a sleep per poll cost the host ≈ 3 ms of CPU, which ten hosts on a few cores
  # feel: read -t on the job's FIFO is the pause, which ExecStopPost ends at once when the job is done, so a
  # step does not wait out the rest of a poll); the unit's state (a D-Bus call, ≈ 20 ms) only every
  # second, for a unit that ended without a result or without its ExecStopPost.
  exec {log_fd}<"$job/log" {pause_fd}<>"$job/pause"
  while :; do
    relay_log "$log_fd"
    [ ! -e "$job/rc" ] || [ ! -e "$job/done" ] || break
    if ((++polls % 10 == 0)); then
      state=$(systemctl show -p ActiveState --value "$unit.service" 2>/dev/null || echo inactive)
      if [ "$state" = inactive ] || [ "$state" = failed ]; then
        read -r -t 0.5 -u "$pause_fd" || true
        [ ! -e "$job/rc" ] || break
        die "the transaction unit $unit ended without a result. Inspect 'journalctl -u $unit' and $job/log."
      fi
    fi
    read -r -t 0.1 -u "$pause_fd" || true
  done
  relay_log "$log_fd"
  printf '%s' "$RELAY_PARTIAL" >&2
  exec {log_fd}<&- {pause_fd}<&-
  read -r rc <"$job/rc"
  cat "$job/stdout" 2>/dev/null || true
  rm -rf "$job"
  exit "$rc"
}

# relay_log FD — copy to stderr the complete lines the log (open on FD) gained since the last call; a last
# line still being written waits in RELAY_PARTIAL (read at the end of a file returns what it has, and fails).
RELAY_PARTIAL=""
relay_log() {
  local line
  while IFS= read -r line <&"$1"; do
    printf '%s%s\n' "$RELAY_PARTIAL" "$line" >&2
    RELAY_PARTIAL=""
  done
  RELAY_PARTIAL+=$line
}

# write_result JOB_DIR CODE — the exit code the session reports (written once, atomically).
write_result() {
  [ ! -e "$1/rc" ] || return 0
  printf '%s\n' "$2" >"$1/rc.tmp"
  mv -f "$1/rc.tmp" "$1/rc"
}

# run JOB_DIR STEP ARG... — the unit's main process.
run() {
  local job=$1 step=$2 rc=0
  shift 2
  exec 0<"$job/stdin"
  rm -f "$job/stdin"
  take_host_lock "${DH_OWNER:-unknown}" "$step" "${DH_LOCK_WAIT:-$DH_LOCK_WAIT_DEFAULT}"
  recover_interrupted "$RECOVERY_READY_TIMEOUT" || die "an interrupted transaction could not be recovered; nothing else was done."
  /bin/bash "$HERE/$step.sh" "$@" || rc=$?
  write_result "$job" "$rc"
  exit "$rc"
}

# wake_session JOB_DIR — ends the session's pause now (a line into the job's FIFO). Never blocks, and never
# creates the FIFO's name: with no session reading (it was lost) the open fails (nonblock), and a session that
# saw the done mark first may be removing the job folder, where a file made now would fail its `rm -rf`.
wake_session() {
  printf '\n' | dd of="$1/pause" oflag=nonblock conv=nocreat,notrunc status=none 2>/dev/null || true
}

# after JOB_DIR — ExecStopPost, whenever the unit stops: unless the step succeeded, recover under the lock
# what it may have left (it may have been killed halfway), and leave a result for the session; then mark the
# job done and wake the session.
after() {
  local job=$1
  # However this ends: the session removes the job folder only after this mark.
  AFTER_JOB=$job
  trap ': >"$AFTER_JOB/done"; wake_session "$AFTER_JOB"' EXIT
  [ "$(cat "$job/rc" 2>/dev/null)" != 0 ] || exit 0
  [ -e "$job/rc" ] || log "the transaction ended without finishing (${SERVICE_RESULT:-?}: ${EXIT_CODE:-?} ${EXIT_STATUS:-?})"
  # The result first: the lock wait below ends this process (die) when another run holds the lock.
  write_result "$job" 1
  take_host_lock "${DH_OWNER:-unknown}" recovery "${DH_LOCK_WAIT:-$DH_LOCK_WAIT_DEFAULT}"
  recover_interrupted "$RECOVERY_READY_TIMEOUT" || true
}

case ${1:-} in
  --run) shift && run "$@" ;;
  --after) shift && after "$@" ;;
  "") die "usage: txn.sh STEP [ARG...]" ;;
  *) start "$@" ;;
esac
