#!/usr/bin/env bash
# migrate-host.sh — the host side of the migration benchmark (bench/migrate.ts uploads it next to lib.sh
# and runs one subcommand per SSH session, so the controller can drop the page cache between them).
# It calls lib.sh's own copy functions, so what it times is what a move runs.
#
# Usage: migrate-host.sh generate MIB | poll-start | poll-stop | change PERCENT | size DIR
#        | single NEW [SINCE] | restart | live NEW | stopped NEW | rsync NEW | cp NEW | clean DIR | docker-stop | docker-start
# Timings go to stdout as KEY=SECONDS lines; lib.sh's log lines to stderr.
# Exit codes: 0 done; 1 a step failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Read by lib.sh: its log lines say docker-host[bench].
# shellcheck disable=SC2034
DH_STEP=bench
# Uploaded next to it; in the repository it is components/dockerHost/scripts/lib.sh.
# shellcheck source=components/dockerHost/scripts/lib.sh
. "$HERE/lib.sh"

readonly OLD=/var/lib/docker
readonly POLL_LOG=/run/mb-poll.log
readonly POLL_PID=/run/mb-poll.pid
# When the last `live` pass began (copy_live's LIVE_PASS_SINCE) and the mount points it left out
# (PASS1_SKIPPED_MOUNTS), for `stopped`.
readonly LIVE_SINCE=/run/mb-live-since
readonly LIVE_SKIPPED=/run/mb-live-skipped
readonly IMAGE=sandbox/busybox:latest
readonly BUSYBOX_TAR=/usr/local/share/docker-host-sandbox/busybox.tar
# A container that stops at once on SIGTERM (a bare `sleep` as PID 1 ignores it, and docker stop would
# wait 10 s for it: a cost of the container, not of the move).
readonly SERVE='trap "exit 0" TERM; sleep 2147483647 & wait'
# Read by lib.sh's move functions (apply.sh sets them for a real move).
READY_TIMEOUT=120
# shellcheck disable=SC2034
START_TS=$(date '+%Y-%m-%d %H:%M:%S')

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# fill DIR COUNT BYTES — COUNT files of BYTES random bytes each under DIR (real data: nothing sparse).
fill() {
  local dir=$1 count=$2 bytes=$3
  mkdir -p "$dir"
  if ((bytes <= 1048576)); then
    # One stream cut into files: fast for many small files.
    head -c "$((count * bytes))" /dev/urandom | (cd "$dir" && split -b "$bytes" -a 6 - f)
  else
    local i
    for ((i = 0; i < count; i++)); do head -c "$bytes" /dev/urandom >"$dir/big-$i"; done
  fi
}

# generate MIB — a Docker root of about MIB MiB of mixed sizes: three images (imported layers), volumes of
# large, medium and small files, a stopped container with data in its writable layer, and two running
# containers: keeper, and app (its volume "db" holds 1 MiB pages, what `change` rewrites).
cmd_generate() {
  local mib=$1 unit stage i
  unit=$((mib * 1024 * 1024 / 100)) # 1 % of the target, in bytes
  mkdir -p "$DH_STATE_DIR"
  docker image inspect "$IMAGE" >/dev/null 2>&1 || docker import "$BUSYBOX_TAR" "$IMAGE" >/dev/null
  stage=$(mktemp -d /var/tmp/mb-image.XXXXXX)
  for i in 1 2 3; do
    rm -rf "${stage:?}"/*
    fill "$stage/blobs" 2 "$((unit * 2))"  # 4 % in two large files
    fill "$stage/libs" "$((unit * 3 / 1048576))" 1048576 # 3 % in 1 MiB files
    fill "$stage/etc" "$((unit / 16384))" 16384 # 1 % in 16 KiB files
    tar -C "$stage" -c . | docker import - "bench/image-$i:latest" >/dev/null
  done
  rm -rf "$stage"
  docker volume create bulk >/dev/null
  fill "$OLD/volumes/bulk/_data" 3 "$((unit * 10))" # 30 % in three large files
  docker volume create media >/dev/null
  fill "$OLD/volumes/media/_data" "$((unit * 20 / 1048576))" 1048576 # 20 % in 1 MiB files
  docker volume create small >/dev/null
  fill "$OLD/volumes/small/_data" "$((unit * 4 / 4096))" 4096 # 4 % in 4 KiB files
  docker volume create db >/dev/null
  fill "$OLD/volumes/db/_data" "$((unit * 10 / 1048576))" 1048576 # 10 % in 1 MiB pages
  docker run --name scratchpad -v small:/small "$IMAGE" sh -c "head -c $((unit * 3)) /dev/urandom >/scratch.bin" >/dev/null
  docker run -d --name app -v db:/db "$IMAGE" sh -c "$SERVE" >/dev/null
  docker run -d --name keeper "$IMAGE" sh -c "$SERVE" >/dev/null
  sync
  echo "bytes=$(du -sx --block-size=1 "$OLD" | cut -f1)"
  echo "files=$(find "$OLD" -xdev | wc -l)"
}

# poll-start — in the background, every ~20 ms: a timestamp and the PIDs of keeper and app ("down" when
# Docker does not answer or the container does not run; anything but a PID counts as down).
cmd_poll_start() {
  rm -f "$POLL_LOG"
  # shellcheck disable=SC2016 # expanded by the poller's shell
  setsid bash -c 'while :; do p=$(timeout 2 docker inspect -f "{{if .State.Running}}{{.State.Pid}}{{else}}down{{end}}" keeper app 2>/dev/null | tr "\n" " "); echo "$(date +%s.%N) ${p:-down down}"; sleep 0.02; done' \
    >"$POLL_LOG" 2>/dev/null </dev/null &
  echo $! >"$POLL_PID"
}

# poll-stop — stop the poller; print the longest time a container was not running (downtime=: the later
# of the two containers to run again; downtime_keeper=: keeper's alone, the first started) and the samples.
cmd_poll_stop() {
  sleep 0.3
  kill -- "-$(cat "$POLL_PID")" 2>/dev/null || kill "$(cat "$POLL_PID")"
  rm -f "$POLL_PID"
  awk '
    {
      for (i = 2; i <= 3; i++) if ($i ~ /^[0-9]+$/) {
        if (up[i] != "" && $1 - up[i] > gap[i]) gap[i] = $1 - up[i]
        up[i] = $1
      }
    }
    END { printf "downtime=%.3f\ndowntime_keeper=%.3f\nsamples=%d\n", (gap[2] > gap[3] ? gap[2] : gap[3]), gap[2], NR }
  ' "$POLL_LOG"
}

# change PERCENT — what the containers write between the passes: app rewrites PERCENT % of the root's bytes
# as whole 1 MiB pages of its volume db (rsync copies a changed file whole, so this is also what pass 2
# must copy), through the container. No sync: a `sync` here would also write back what pass 1 left in the
# page cache, a cost of the move (copy_live syncs the new root itself).
cmd_change() {
  local percent=$1 size pages
  size=$(du -sx --block-size=1 "$OLD" | cut -f1)
  pages=$((size * percent / 100 / 1048576))
  docker exec app sh -c "i=0; for f in \$(ls /db | head -n $pages); do head -c 1048576 /dev/urandom >/db/\$f; done"
  echo "changed_bytes=$((pages * 1048576))"
}

cmd_size() { echo "bytes=$(du -sx --block-size=1 "$1" | cut -f1)"; }

# single NEW [SINCE] — the old way: containers and Docker stop, one copy into the empty NEW with its check,
# Docker and the containers start again (on OLD: the switch itself costs both ways the same restart). With
# SINCE (when pass 1 began), the stopped part of a move instead.
cmd_single() {
  local new=$1 since=${2:-} t0 t1
  journal_begin bench
  t0=$(now)
  stop_docker_for_copy "$OLD"
  copy_root "$OLD" "$new" copy "$since"
  t1=$(now)
  restart_docker
  wait_for_docker "$READY_TIMEOUT"
  start_stopped_containers
  journal_end
  echo "stopped_copy=$(elapsed "$t0" "$t1")"
  echo "stopped_total=$(elapsed "$t0" "$(now)")"
}

# restart — the floor of any move's downtime: what both ways stop and start (containers and Docker stop,
# Docker and the containers start again, as the move does it), with no copy between.
cmd_restart() {
  local t0
  journal_begin bench
  t0=$(now)
  stop_docker_for_copy "$OLD"
  restart_docker
  wait_for_docker "$READY_TIMEOUT"
  start_stopped_containers
  journal_end
  echo "stopped_total=$(elapsed "$t0" "$(now)")"
}

# live NEW — pass 1 of a move (copy_live), Docker and the containers running.
cmd_live() {
  local new=$1 t0
  t0=$(now)
  copy_live "$OLD" "$new" copy
  echo "$LIVE_PASS_SINCE" >"$LIVE_SINCE"
  printf '%s\n' "${PASS1_SKIPPED_MOUNTS[@]}" >"$LIVE_SKIPPED"
  echo "live=$(elapsed "$t0" "$(now)")"
}

# stopped NEW — what move_root does after pass 1: stop, pass 2 and its check, then Docker and the
# containers start again.
cmd_stopped() {
  mapfile -t PASS1_SKIPPED_MOUNTS < <(grep . "$LIVE_SKIPPED")
  cmd_single "$1" "$(cat "$LIVE_SINCE")"
}

# rsync NEW / cp NEW — one cold copy of OLD into the empty NEW, Docker stopped, with the move's bulk copy
# (copy_bulk: pass 1's rsync, progress reporter included, then sparse files again) or `cp -a`; each ends with NEW's filesystem synced, so the
# time is the data on disk, not in the page cache.
cmd_rsync() {
  local new=$1 t0
  t0=$(now)
  mkdir -p "$new"
  copy_bulk "copy" "$OLD" "$new" "$(du -sx --block-size=1 "$OLD" | cut -f1)" ""
  sync -f "$new"
  echo "seconds=$(elapsed "$t0" "$(now)")"
  t0=$(now)
  [ -z "$(rsync_root "$OLD" "$new" --dry-run --itemize-changes)" ] || die "the rsync copy differs from $OLD"
  echo "verify=$(elapsed "$t0" "$(now)")"
}

cmd_cp() {
  local new=$1 t0
  t0=$(now)
  cp -a "$OLD" "$new"
  sync -f "$new"
  echo "seconds=$(elapsed "$t0" "$(now)")"
}

cmd_clean() {
  rm -rf "$1"
  fstrim "$(df --output=target "$(dirname "$1")" | tail -n 1)" 2>/dev/null || true
  sync
}

cmd_docker_stop() { systemctl stop docker.socket docker.service; }

cmd_docker_start() {
  restart_docker
  wait_for_docker "$READY_TIMEOUT"
  docker start keeper app >/dev/null
}

main() {
  local cmd=${1:?"usage: migrate-host.sh COMMAND [ARG] (see the header)"}
  shift
  case $cmd in
    generate | change | size | single | restart | live | stopped | rsync | cp | clean) "cmd_$cmd" "$@" ;;
    poll-start | poll-stop | docker-stop | docker-start) "cmd_${cmd//-/_}" "$@" ;;
    *) die "unknown command '$cmd'" ;;
  esac
}

main "$@"
