# lib.sh — helpers and constants shared by the docker-host step scripts; each step sources it from its own
# folder (`${BASH_SOURCE[0]%/*}`: run.sh runs every script by its full path). Not run on its own.
# shellcheck shell=bash
#
# Conventions: parameters arrive on stdin as KEY=VALUE lines (never on the command line); progress and
# errors go to stderr; the last line on stdout is the step's JSON result.
#
# The `readonly DH_…=` lines below are also read by the TypeScript side (components/dockerHost/hostConstants.ts
# parses the plain ones: a literal value, quoted or not), so a host path, a default or a key list has one
# source, here. tests/unit/steps.test.ts checks that every constant TypeScript uses is defined here.

set -euo pipefail
umask 022

# Constants used by the step scripts (and hostConstants.ts).
# shellcheck disable=SC2034
{

# Where docker-host keeps its state, backups, jobs and records on the host.
readonly DH_STATE_DIR=/var/lib/docker-host
readonly DH_BACKUP_DIR=/var/lib/docker-host/backup
# What the apply step last applied (drift detection compares the live files with these).
readonly DH_APPLIED_DAEMON_JSON=/var/lib/docker-host/applied-daemon.json
readonly DH_APPLIED_DROPIN=/var/lib/docker-host/applied-10-docker-host.conf
# The digest of the drop-ins dockerd last started with (apply.sh: unit_inputs_digest).
readonly DH_ACTIVE_DROPINS=/var/lib/docker-host/active-dropins.sha256
readonly DH_DAEMON_JSON=/etc/docker/daemon.json
readonly DH_DROPIN_DIR=/etc/systemd/system/docker.service.d
readonly DH_DROPIN_LISTEN=/etc/systemd/system/docker.service.d/10-docker-host.conf
readonly DH_DROPIN_DISK=/etc/systemd/system/docker.service.d/20-docker-host-data-disk.conf
# Docker's own default data-root: the live root of a host nobody moved.
readonly DH_DEFAULT_ROOT=/var/lib/docker
# TLS material: one directory per version under DH_TLS_DIR, each holding these three files.
readonly DH_TLS_DIR=/etc/docker/tls
readonly DH_TLS_CA_FILE=ca.pem
readonly DH_TLS_CERT_FILE=server-cert.pem
readonly DH_TLS_KEY_FILE=server-key.pem
# Names under DH_TLS_DIR: tls.sh's version directories (tlsDigest in tlsMaterial.ts) and its staging leftovers.
readonly DH_TLS_VERSION_RE='^[0-9a-f]{12}$'
readonly DH_TLS_STAGING_PREFIX=.docker-host-staging.
readonly DH_MIGRATING_MARKER=.docker-host-migrating
# The host lock (on tmpfs: a reboot releases it) and who holds it.
readonly DH_LOCK_FILE=/run/docker-host.lock
readonly DH_LOCK_HOLDER=/run/docker-host.lock.holder
# One folder per detached transaction: its stdin (removed once read), log, stdout, exit code and done mark.
readonly DH_JOBS_DIR=/var/lib/docker-host/jobs
# Present while a transaction has stopped Docker or containers, or switched files: what to undo.
readonly DH_JOURNAL=/var/lib/docker-host/transaction
# Data roots Docker ran on under docker-host: <escaped path>.left, its mtime when Docker left that root.
readonly DH_ROOTS_DIR=/var/lib/docker-host/roots
# Defaults of the step arguments the plan always passes (ready-timeout=, lock-wait=): seconds to wait for
# dockerd after a reload or restart, and for the host lock.
readonly DH_READY_TIMEOUT_DEFAULT=60
# Seconds a reload waits for dockerd's verdict when its log level hides the "Reloaded configuration" line.
readonly DH_RELOAD_SETTLE_SECONDS=3
readonly DH_LOCK_WAIT_DEFAULT=600
# Space a data-root copy needs beyond the data itself: 5 % plus this many bytes.
readonly DH_COPY_MARGIN_BYTES=$((64 * 1024 * 1024))
# Seconds between two progress lines of a data-root copy pass (a pass that ends sooner prints none).
readonly DH_COPY_PROGRESS_SECONDS=5
# When the containers take this many seconds or more to stop for a copy's last pass, the log says how long,
# and why that may be.
readonly DH_SLOW_STOP_SECONDS=3
# Where a copy's progress updates wait to be read (with_copy_progress): tmpfs, never the disk being emptied.
readonly DH_PROGRESS_DIR=/run
# Containers started at once after a data-root copy (start_stopped_containers); each `docker start` is a
# CLI process of ≈ 40 MB.
readonly DH_PARALLEL_STARTS=8
# daemon.json keys dockerd re-reads on SIGHUP (dockerd's reload documentation); a change to any other key,
# or to the docker.service drop-ins, needs a restart. daemonSettings.ts reads this list.
readonly DH_RELOADABLE_KEYS="authorization-plugins,debug,default-runtime,features,insecure-registries,labels,live-restore,max-concurrent-downloads,max-concurrent-uploads,max-download-attempts,registry-mirrors,runtimes,shutdown-timeout"
# Scheduled pruning (prune.sh installs, prune-delete.sh removes): the timer, its service, their settings and
# the script each run executes (prune-run.sh, copied).
readonly DH_PRUNE_TIMER_UNIT=docker-host-prune.timer
readonly DH_PRUNE_TIMER=/etc/systemd/system/docker-host-prune.timer
readonly DH_PRUNE_SERVICE=/etc/systemd/system/docker-host-prune.service
readonly DH_PRUNE_ENV=/etc/docker-host/prune.env
readonly DH_PRUNE_BIN=/usr/local/libexec/docker-host/prune
}

DH_STEP=${DH_STEP:-step}

log() { printf 'docker-host[%s]: %s\n' "$DH_STEP" "$*" >&2; }

die() {
  printf 'docker-host[%s] on %s: %s\n' "$DH_STEP" "$(hostname 2>/dev/null || echo '?')" "$*" >&2
  exit 1
}

# read_params NAME... — read KEY=VALUE lines from stdin into P_<KEY>; only the listed keys are accepted.
# Values are assigned with printf -v, never evaluated.
read_params() {
  local line key value
  while IFS= read -r line || [ -n "$line" ]; do
    [ -n "$line" ] || continue
    key=${line%%=*}
    value=${line#*=}
    case " $* " in
      *" $key "*) printf -v "P_$key" '%s' "$value" ;;
      *) die "unexpected parameter '$key' on stdin" ;;
    esac
  done
  local var
  for key in "$@"; do
    var="P_$key"
    [ -n "${!var+x}" ] || die "missing parameter '$key' on stdin"
  done
}

# require_safe_path NAME VALUE — refuse anything but a plain absolute path.
require_safe_path() {
  if [[ ! $2 =~ ^/[A-Za-z0-9._@+/-]*$ ]] || [[ $2 == *"/../"* || $2 == *"/.." ]]; then
    die "$1 '$2' is not a plain absolute path"
  fi
}

have() { command -v "$1" >/dev/null 2>&1; }

# dir_is_empty DIR — true when DIR is missing or holds nothing but a filesystem's lost+found (a fresh
# ext4 data disk mounted at data-root must count as empty, or its images would "vanish").
dir_is_empty() {
  local entry
  [ -d "$1" ] || return 0
  for entry in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    [ "$entry" = "$1/lost+found" ] || return 1
  done
}

# read_docker_info — every fact a step checks, from one `docker info` (each call costs the host ≈ 50 ms of
# CPU, which ten hosts on a few cores feel): sets DOCKER_VERSION, DOCKER_DRIVER, DOCKER_ROOT and
# DOCKER_FACTS_JSON (the facts DockerHost exports). Fails when dockerd does not answer.
read_docker_info() {
  local out
  # Fields separated by the unit separator (0x1f): not whitespace to read, so an empty field stays in its
  # place; JSON escapes it in strings, so the JSON goes first; the root, last, keeps any.
  out=$(docker info --format '{"serverVersion":{{json .ServerVersion}},"storageDriver":{{json .Driver}},"dockerRootDir":{{json .DockerRootDir}},"loggingDriver":{{json .LoggingDriver}},"liveRestore":{{json .LiveRestoreEnabled}}}{{"\x1f"}}{{.ServerVersion}}{{"\x1f"}}{{.Driver}}{{"\x1f"}}{{.DockerRootDir}}' 2>/dev/null) || return 1
  # shellcheck disable=SC2034 # read by the step scripts
  IFS=$'\x1f' read -r DOCKER_FACTS_JSON DOCKER_VERSION DOCKER_DRIVER DOCKER_ROOT <<<"$out"
  [ -n "$DOCKER_VERSION" ] && [ -n "$DOCKER_ROOT" ]
}

# containerd_store_contents — when Docker keeps images in the containerd image store (its DriverStatus names
# a containerd snapshotter; Engine 24 on, the default of fresh installs from 29), sets STORE_IMAGES and
# STORE_CONTAINERS to docker info's counts, which are then the store's; fails when Docker uses a graph driver
# or does not answer.
containerd_store_contents() {
  local out
  out=$(docker info --format '{{.Images}} {{.Containers}} {{json .DriverStatus}}' 2>/dev/null) || return 1
  [[ $out =~ ^([0-9]+)\ ([0-9]+)\ (.*)$ ]] && [[ ${BASH_REMATCH[3]} == *'io.containerd.snapshotter'* ]] || return 1
  # shellcheck disable=SC2034 # read by gate.sh and apply.sh
  STORE_IMAGES=${BASH_REMATCH[1]} STORE_CONTAINERS=${BASH_REMATCH[2]}
}

# wait_for_docker SECONDS — poll until dockerd answers (read_docker_info: its facts are set); bounded.
wait_for_docker() {
  local deadline=$((SECONDS + $1))
  until read_docker_info; do
    if ((SECONDS >= deadline)); then return 1; fi
    if systemctl is-failed --quiet docker.service; then return 1; fi
    sleep 0.2
  done
}

# dockerd_pid — main PID of docker.service (0 when not running).
dockerd_pid() { systemctl show -p MainPID --value docker.service 2>/dev/null || echo 0; }

# sha_of FILE... — one digest over the files' bytes, "absent" standing for a missing file.
sha_of() {
  local f
  for f in "$@"; do
    if [ -e "$f" ]; then sha256sum <"$f"; else echo "absent"; fi
  done | sha256sum | cut -d' ' -f1
}

# write_file_atomic PATH MODE < content — replace PATH with stdin via a temp file and rename.
write_file_atomic() {
  local path=$1 mode=$2 dir=${1%/*} tmp
  [ -d "$dir" ] || mkdir -p "$dir"
  tmp=$(mktemp "$dir/.${path##*/}.XXXXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$path"
}

# json_top_string KEY FILE — value of a top-level string key in a canonical daemon.json (rendered by
# daemonJson.ts: one top-level key per line, indented by exactly two spaces). Empty when absent.
json_top_string() {
  local line re='^  "'"$1"'": "([^"\\]*)",?$'
  while IFS= read -r line; do
    if [[ $line =~ $re ]]; then
      printf '%s\n' "${BASH_REMATCH[1]}"
      return 0
    fi
  done <"$2"
}

# json_has_top_key KEY FILE — true when the canonical daemon.json sets KEY.
json_has_top_key() { grep -q "^  \"$1\": " "$2"; }

# restart_projection FILE — the canonical daemon.json without reloadable keys, trailing commas dropped.
# Exit status 3 when FILE is not canonical (hand-written), so callers restart to be safe.
restart_projection() {
  awk -v reloadable="$DH_RELOADABLE_KEYS" '
    BEGIN { n = split(reloadable, r, ","); for (i = 1; i <= n; i++) skip_key[r[i]] = 1 }
    NR == 1 { if ($0 != "{") bad = 1; next }
    /^  "[^"]+": / { k = $0; sub(/^  "/, "", k); sub(/".*/, "", k); skipping = (k in skip_key) }
    /^}$/ { closed = 1; next }
    /^ ? ?[^ ]/ && !/^  "/ && !/^  [\]}]/ { bad = 1 }
    { line = $0; sub(/,$/, "", line); if (!skipping) print line }
    END { if (bad || !closed) exit 3 }
  ' "$1"
}

# host_exec_start — the ExecStart of the host's own docker.service (vendor unit, not our drop-in).
host_exec_start() {
  local fragment
  fragment=$(systemctl show -p FragmentPath --value docker.service)
  if [ -z "$fragment" ] || [ ! -r "$fragment" ]; then
    die "cannot find docker.service's unit file (FragmentPath='$fragment')"
  fi
  sed -n 's/^ExecStart=\(..*\)$/\1/p' "$fragment" | tail -n 1
}

# strip_host_flags ARGS — drop -H/--host options (both "-H x" and "-H=x"), keep the rest verbatim.
strip_host_flags() {
  awk '{
    out = ""; skip = 0
    for (i = 1; i <= NF; i++) {
      if (skip) { skip = 0; continue }
      if ($i == "-H" || $i == "--host") { skip = 1; continue }
      if ($i ~ /^(-H|--host)=/ || $i ~ /^-H[^ ]/) continue
      out = out (out == "" ? "" : " ") $i
    }
    print out
  }' <<<"$1"
}

# json_escape STRING — a JSON string literal for values produced on the host.
json_escape() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

# dockerd_rejects FILE — dockerd's own verdict on the daemon.json FILE: prints dockerd's words and succeeds
# when it rejects FILE; fails, saying nothing, when it accepts FILE or cannot be asked. `dockerd --validate`
# exists from Engine 23; Debian 12's 20.10 lacks it, and then the component's own validation stands alone.
# Asked only when the running Engine (DOCKER_VERSION, from read_docker_info) is that new: starting the
# binary to read its help costs the host ≈ 80 ms of CPU. A newer binary installed under an older running
# dockerd is then not asked; a start on FILE is verified and rolled back as any.
dockerd_rejects() {
  [[ ${DOCKER_VERSION%%.*} =~ ^[0-9]+$ ]] && ((10#${DOCKER_VERSION%%.*} >= 23)) || return 1
  # The help is read whole first: `dockerd --help | grep -q` could fail under pipefail (grep leaving at the
  # match, dockerd killed by SIGPIPE while it still writes) and skip the check.
  local help out
  help=$(dockerd --help 2>&1) || true
  [[ $help == *--validate* ]] || return 1
  out=$(dockerd --validate --config-file "$1" 2>&1) && return 1
  printf '%s\n' "$out"
}

# journal_tail SINCE — dockerd's own complaints in the docker.service journal since SINCE (the lines
# that explain a failed start or reload), else the journal's last lines. Warnings are not complaints
# ("unable to disable IPv6 router advertisement" is dockerd carrying on), and a line the unit's automatic
# restarts repeated word for word is quoted once.
journal_tail() {
  local lines relevant tries=0
  # journald may not have read a dying dockerd's last words when systemctl reports the failure: a failure
  # path that finds none waits for them a little (5 x 0.2 s) before quoting the journal's last lines.
  while :; do
    lines=$(journalctl -u docker.service --since "$1" --no-pager -o cat 2>/dev/null || true)
    relevant=$(grep -iE 'unable to|level=(error|fatal)|invalid|directives|failed to (start|load|configure)|error (reconfiguring|reloading)' <<<"$lines" \
      | grep -vE '^(Failed to start|docker\.service: )|level=(warning|info|debug) ' | awk '!seen[$0]++' | tail -n 5 || true)
    if [ -n "$relevant" ] || ((tries++ >= 5)); then break; fi
    sleep 0.2
  done
  if [ -n "$relevant" ]; then printf '%s\n' "$relevant"; else tail -n 10 <<<"$lines"; fi
}

# --- The host lock -----------------------------------------------------------------------------------

# take_host_lock OWNER STEP WAIT_SECONDS — hold the host lock (fd 9, inherited by the step) until this
# process and its children exit. Waits at most WAIT_SECONDS for another docker-host run, then fails naming it.
take_host_lock() {
  local owner=$1 step=$2 wait=$3 holder now
  exec 9>>"$DH_LOCK_FILE"
  if ! flock -n 9; then
    holder=$(cat "$DH_LOCK_HOLDER" 2>/dev/null || echo "unknown")
    log "waiting up to ${wait}s for the host lock, held by $holder"
    flock -w "$wait" 9 \
      || die "another docker-host run holds this host's lock: $holder. Waited ${wait}s; this run changed nothing. Fix: let that run finish (journalctl -f -u 'docker-host-txn-*'), then run again, or raise lockTimeoutSeconds."
  fi
  TZ=UTC0 printf -v now '%(%Y-%m-%dT%H:%M:%SZ)T' -1
  printf '%s, step %s, since %s (unit %s)\n' "$owner" "$step" "$now" "${DH_UNIT:-none}" >"$DH_LOCK_HOLDER"
}

# --- The transaction journal -------------------------------------------------------------------------
# KEY=VALUE lines: step, since, stopped (container IDs), plugins (plugin IDs to enable again), disabling
# (the plugin being disabled), docker (stopped), files (installed | verified), from_root/to_root (a
# data-root move), copy_into (a copy this run created in an empty root).

# The two below read the journal with bash builtins: a transaction calls them a dozen times, and each
# process a step starts (a subshell, a grep) costs the host 1–2 ms of CPU. Only one step writes at a time
# (the host lock), so the new version's temporary name is this shell's.

# journal_set KEY VALUE — replaces KEY's line (a rename: a crash leaves the old journal or the new one).
journal_set() {
  local line tmp=$DH_STATE_DIR/.transaction.$$
  {
    if [ -e "$DH_JOURNAL" ]; then
      while IFS= read -r line || [ -n "$line" ]; do
        [[ $line == "$1="* ]] || printf '%s\n' "$line"
      done <"$DH_JOURNAL"
    fi
    printf '%s=%s\n' "$1" "$2"
  } >"$tmp"
  mv -f "$tmp" "$DH_JOURNAL"
}

# journal_get KEY — KEY's value (its last line), empty when absent.
journal_get() {
  local line value=""
  if [ -e "$DH_JOURNAL" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      [[ $line != "$1="* ]] || value=${line#"$1="}
    done <"$DH_JOURNAL"
  fi
  printf '%s\n' "$value"
}

journal_begin() {
  local since
  rm -f "$DH_JOURNAL"
  journal_set step "$1"
  printf -v since '%(%Y-%m-%d %H:%M:%S)T' -1
  journal_set since "$since"
}

journal_end() { rm -f "$DH_JOURNAL"; }

# --- Files, Docker and containers --------------------------------------------------------------------

# backup_previous — keep daemon.json and the listen drop-in as they are now, to restore on failure.
backup_previous() {
  mkdir -p "$DH_BACKUP_DIR"
  rm -f "$DH_BACKUP_DIR"/daemon.json.prev* "$DH_BACKUP_DIR"/10-docker-host.conf.prev*
  if [ -e "$DH_DAEMON_JSON" ]; then cp -p "$DH_DAEMON_JSON" "$DH_BACKUP_DIR/daemon.json.prev"; else touch "$DH_BACKUP_DIR/daemon.json.prev-absent"; fi
  if [ -e "$DH_DROPIN_LISTEN" ]; then cp -p "$DH_DROPIN_LISTEN" "$DH_BACKUP_DIR/10-docker-host.conf.prev"; else touch "$DH_BACKUP_DIR/10-docker-host.conf.prev-absent"; fi
  cp -p "$DH_ACTIVE_DROPINS" "$DH_BACKUP_DIR/active-dropins.sha256.prev" 2>/dev/null || true
}

restore_previous_files() {
  if [ -e "$DH_BACKUP_DIR/daemon.json.prev" ]; then cp -p "$DH_BACKUP_DIR/daemon.json.prev" "$DH_DAEMON_JSON"; else rm -f "$DH_DAEMON_JSON"; fi
  if [ -e "$DH_BACKUP_DIR/10-docker-host.conf.prev" ]; then cp -p "$DH_BACKUP_DIR/10-docker-host.conf.prev" "$DH_DROPIN_LISTEN"; else rm -f "$DH_DROPIN_LISTEN"; fi
  systemctl daemon-reload
}

restart_docker() {
  systemctl reset-failed docker.service 2>/dev/null || true
  systemctl start docker.socket 2>/dev/null || true
  systemctl restart docker.service
}

# stop_docker_for_copy OLD — stop every running container and every enabled managed plugin (each recorded
# first, to start it again) and Docker, so nothing writes to the root OLD while the last pass copies it.
# Plugins are disabled here because with live-restore dockerd leaves them running when it stops, on their
# rootfs and propagated mount below OLD, and then adopts them as they are on the new root: a volume plugin
# would go on writing below OLD and mounting its volumes there, while the containers on the new root found
# an empty directory. Sets COPY_STOPPED_AT (bash's SECONDS).
stop_docker_for_copy() {
  local old=$1 id
  local -a ids plugins=()
  mapfile -t ids < <(docker ps -q --no-trunc)
  journal_set stopped "${ids[*]}"
  COPY_STOPPED_AT=$SECONDS
  if ((${#ids[@]} > 0)); then
    log "stopping ${#ids[@]} running container(s) for the copy's last pass; they are started again afterwards"
    docker stop "${ids[@]}" >/dev/null
    # Said because it is all downtime: docker stop waits for each container's stop timeout (10 s unless it
    # set another) before it kills one that ignores SIGTERM, as a shell or sleep run as PID 1 does.
    if ((SECONDS - COPY_STOPPED_AT >= DH_SLOW_STOP_SECONDS)); then
      log "the containers took $((SECONDS - COPY_STOPPED_AT)) s to stop: one that ignores SIGTERM is killed only after its stop timeout (docker run --stop-timeout, or an init such as docker run --init, shortens it)"
    fi
  fi
  # Only a root with a plugin installed pays for asking.
  if compgen -G "$old/plugins/*/rootfs" >/dev/null; then
    mapfile -t plugins < <(docker plugin ls --no-trunc --filter enabled=true --format '{{.ID}}')
  fi
  journal_set plugins "${plugins[*]}"
  if ((${#plugins[@]} > 0)); then
    log "disabling ${#plugins[@]} plugin(s) for the copy's last pass; they are enabled again afterwards"
    for id in "${plugins[@]}"; do
      journal_set disabling "$id"
      docker plugin disable --force "$id" >/dev/null ||
        die "could not disable plugin $id for the copy's last pass (docker said why, above); nothing was switched, and the recovery enables the plugins and starts the containers again on $old. Fix: see why with 'docker plugin disable $id', then run pulumi up again."
    done
    journal_set disabling ""
  fi
  journal_set docker stopped
  systemctl stop docker.socket docker.service
}

# enable_stopped_plugins — enable again the plugins the journal says this transaction disabled. One that
# does not come back is reported; the containers that need it then fail to start, and are reported too.
enable_stopped_plugins() {
  local id interrupted
  local -a ids=()
  read -ra ids <<<"$(journal_get plugins)"
  # A transaction killed during a disable leaves dockerd disabling that plugin (it waits up to 10 s for the
  # plugin to exit): an enable now would find it still enabled, and the disable would then win. Disabling
  # it again returns once the plugin has exited.
  interrupted=$(journal_get disabling)
  if [ -n "$interrupted" ]; then
    log "the transaction was interrupted while plugin $interrupted was being disabled; waiting for that to finish"
    docker plugin disable --force "$interrupted" >/dev/null 2>&1 || true
  fi
  for id in "${ids[@]}"; do
    docker plugin enable "$id" >/dev/null 2>&1 || [ "$(docker plugin inspect -f '{{.Enabled}}' "$id" 2>/dev/null)" = true ] ||
      log "warning: could not enable plugin $id again"
  done
}

# start_stopped_containers — start again the containers the journal says this transaction stopped, after
# the plugins it disabled (their volumes): oldest first, up to DH_PARALLEL_STARTS at once (one after
# another, the last container waits for every other's runc and network setup), then one by one those that
# failed (a container that joins another's network, or links to it, starts only once that one runs).
start_stopped_containers() {
  local id i j
  local -a ids=() pids=() batch=() failed=() again=()
  enable_stopped_plugins
  read -ra ids <<<"$(journal_get stopped)"
  # docker ps lists the newest first.
  for ((i = ${#ids[@]} - 1; i >= 0; i--)); do
    docker start "${ids[i]}" >/dev/null 2>&1 &
    pids+=("$!")
    batch+=("${ids[i]}")
    if ((${#pids[@]} == DH_PARALLEL_STARTS || i == 0)); then
      for ((j = 0; j < ${#pids[@]}; j++)); do wait "${pids[j]}" || failed+=("${batch[j]}"); done
      pids=() batch=()
    fi
  done
  for id in "${failed[@]}"; do
    docker start "$id" >/dev/null 2>&1 || again+=("$id")
  done
  for id in "${again[@]}"; do log "warning: could not start container $id again"; done
  [ -z "${COPY_STOPPED_AT:-}" ] || log "Docker and the containers were stopped for $((SECONDS - COPY_STOPPED_AT)) s"
}

# --- Data roots ----------------------------------------------------------------------------------------

root_stamp() { printf '%s/%s.left' "$DH_ROOTS_DIR" "$(systemd-escape --path "$1")"; }

# root_left ROOT — Docker stopped using ROOT, whose content is known as of now.
root_left() {
  local stamp
  mkdir -p "$DH_ROOTS_DIR"
  stamp=$(root_stamp "$1")
  printf '%s\n' "$1" >"$stamp"
  touch "$stamp"
}

# roots_switched FROM TO — Docker now runs on TO and left FROM.
roots_switched() {
  root_left "$1"
  rm -f "$(root_stamp "$2")"
}

# root_changed_since_left ROOT — the first path under ROOT changed after Docker left it ("" when none).
root_changed_since_left() {
  local stamp
  stamp=$(root_stamp "$1")
  find "$1" -xdev -mindepth 1 \( -newer "$stamp" -o -cnewer "$stamp" \) -print -quit 2>/dev/null || true
}

human_bytes() { numfmt --to=iec --suffix=B "$1" 2>/dev/null || echo "$1 bytes"; }

# plan_root_move OLD NEW — how NEW becomes Docker's root, checked before anything changes: "copy" (NEW is
# empty, or holds a copy docker-host started), "delta" (NEW is a root Docker left, unchanged since: brought
# up to date from OLD). Refuses nested roots, a NEW with anyone else's data, and a NEW without the space.
plan_root_move() {
  local old=$1 new=$2 mode changed
  case "$new/" in "$old/"*) die "data-root $new is inside Docker's current root $old: the copy would copy into itself. Nothing was changed. Fix: choose a directory outside $old, such as /data/docker." ;; esac
  case "$old/" in "$new/"*) die "data-root $new contains Docker's current root $old. Nothing was changed. Fix: choose a dedicated directory, such as /data/docker." ;; esac
  if dir_is_empty "$new" || [ "$(cat "$new/$DH_MIGRATING_MARKER" 2>/dev/null)" = copy ]; then
    mode="copy"
  elif [ -e "$(root_stamp "$new")" ] || [ -e "$new/$DH_MIGRATING_MARKER" ]; then
    changed=$(root_changed_since_left "$new")
    if [ -n "$changed" ] && [ ! -e "$new/$DH_MIGRATING_MARKER" ]; then
      die "$new was Docker's root until $(date -r "$(root_stamp "$new")" '+%Y-%m-%d %H:%M:%S'), and was changed since ($changed). Switching to it would hide what Docker wrote to $old since then, and updating it would overwrite that change. Nothing was changed. Fix: move $new away (or empty it), then run again: docker-host copies $old there."
    fi
    mode="delta"
  else
    die "$new already holds data, and Docker does not run on it (Docker's root is $old). Switching would hide everything in $old; copying would overwrite $new. Nothing was changed. Fix: move the contents of $new away or choose an empty directory; docker-host then copies $old there."
  fi
  check_space "$old" "$new"
  echo "$mode"
}

# check_space OLD NEW — NEW's filesystem must hold OLD (less what NEW already holds), with a margin.
check_space() {
  local old=$1 new=$2 existing=$2 size there=0 adds want avail
  size=$(du -sx --block-size=1 "$old" | cut -f1)
  [ ! -d "$new" ] || there=$(du -sx --block-size=1 "$new" | cut -f1)
  while [ ! -d "$existing" ]; do existing=${existing%/*}; existing=${existing:-/}; done
  avail=$(df --output=avail --block-size=1 "$existing" | tail -n 1 | tr -d ' ')
  adds=$((size > there ? size - there : 0))
  want=$((adds + adds / 20 + DH_COPY_MARGIN_BYTES))
  if ((avail < want)); then
    die "moving data-root from $old ($(human_bytes "$size")) to $new needs about $(human_bytes "$want") free on its filesystem, which has $(human_bytes "$avail"). Nothing was stopped or changed. Fix: free space there or use a larger disk."
  fi
}

# with_copy_progress LABEL TOTAL COMMAND... — runs COMMAND (an rsync with --info=progress2; its stdin is
# this function's) and logs one line every DH_COPY_PROGRESS_SECONDS while it runs: bytes copied against TOTAL
# bytes (0: unknown), the rate over the last interval and an estimate of the time left. Returns COMMAND's
# exit code. rsync's own count (the first field of its updates, each led by a CR), not the target
# filesystem's growth: xfs allocates written data late (and reserves ahead), so a filesystem's used space
# lags and overshoots the copy. Why a file, read once a second, not a pipe: rsync writes an update per file,
# and bash's read takes a pipe one byte at a time (40,000 small files: 1.49 s alone, 2.34 s with a bash loop
# reading every update, on the 2 cores they shared; medians), while awk may hold a pipe's records until it has read
# a block (mawk does), and bash's read of whole blocks either waits for a block (rsync updates a large file's
# copy about once a second) or, given a timeout, reads byte by byte again. The file is on tmpfs
# (DH_PROGRESS_DIR), so a full disk never fails the copy by its progress, and emptied each second.
with_copy_progress() {
  local label=$1 total=$2 updates finished rc status chunk record i waited=0 written=0 last=0 rate left line
  local -a records
  shift 2
  # A file left by a copy killed mid-way (its transaction's unit stopped) goes first: the host lock lets one
  # copy run at a time.
  rm -f -- "$DH_PROGRESS_DIR"/docker-host.progress.*
  updates=$(mktemp "$DH_PROGRESS_DIR/docker-host.progress.XXXXXX") || return 1
  # COMMAND in the background, its exit code arriving on the descriptor "finished" when it ends; its
  # updates appended (O_APPEND) to the file, which each sample empties.
  exec {finished}< <(if "$@" >>"$updates"; then echo 0; else echo "$?"; fi)
  while :; do
    if IFS= read -r -t 1 -u "$finished" rc; then break; else status=$?; fi
    # Not a timeout: the background shell ended without a code.
    if ((status <= 128)); then rc=1 && break; fi
    chunk=$(tail -c 1024 -- "$updates") && : >"$updates"
    # The second's last complete update (bytes so far, then the percentage); none: the one before's.
    IFS=$'\r' read -r -d '' -a records <<<"$chunk" || true
    for ((i = ${#records[@]} - 1; i >= 0; i--)); do
      # (Less the newline the here-string added, or rsync's after its last update; then the text after
      # any other, such as a line rsync printed between updates.)
      record=${records[i]%$'\n'}
      record=${record##*$'\n'}
      if [[ $record =~ ^[[:space:]]*([0-9,]+)[[:space:]]+[0-9]+% ]]; then
        written=${BASH_REMATCH[1]//,/}
        break
      fi
    done
    if ((++waited < DH_COPY_PROGRESS_SECONDS)); then continue; fi
    waited=0
    rate=$(((written > last ? written - last : 0) / DH_COPY_PROGRESS_SECONDS))
    last=$written
    line="$label: $(human_bytes "$written")"
    if ((total > 0)); then
      line+=" of $(human_bytes "$total") ($((written >= total ? 100 : written * 100 / total)) %)"
    fi
    line+=", $(human_bytes "$rate")/s"
    if ((total > 0 && rate > 0)); then
      left=$(((total > written ? total - written : 0) / rate))
      line+=", about $((left / 60)) min $((left % 60)) s left"
    fi
    log "$line"
  done
  exec {finished}<&-
  rm -f -- "$updates"
  return "$rc"
}

# rsync_exact OPTION... SOURCE/ TARGET/ — rsync as an exact copy: owners (numeric), modes, ACLs, xattrs,
# hard links, sparse files; the target's lost+found and the marker stay. Local paths: rsync copies whole
# files, no delta checksums. Returns rsync's exit code.
rsync_exact() { rsync -aHAXS --numeric-ids --exclude=/lost+found "--exclude=/$DH_MIGRATING_MARKER" "$@"; }

# rsync_root OLD NEW [OPTION...] — rsync_exact of the whole of OLD into NEW; what OLD no longer holds is
# deleted. Returns rsync's exit code.
rsync_root() {
  local old=$1 new=$2
  shift 2
  rsync_exact --delete "$@" "$old/" "$new/"
}

# rsync_root_logging ERRORS OLD NEW [OPTION...] — rsync_root, its stderr appended to the file ERRORS
# (left on stderr when ERRORS is ""). Returns rsync's exit code.
rsync_root_logging() {
  local errors=$1
  shift
  if [ -n "$errors" ]; then rsync_root "$@" 2>>"$errors"; else rsync_root "$@"; fi
}

# copy_pass LABEL OLD NEW TOTAL ERRORS [OPTION...] — one rsync_root with its progress on stderr
# (with_copy_progress); rsync's own stderr goes to stderr, or is appended to the file ERRORS if not "".
# Returns rsync's exit code.
copy_pass() {
  local label=$1 old=$2 new=$3 total=$4 errors=$5
  shift 5
  with_copy_progress "$label" "$total" rsync_root_logging "$errors" "$old" "$new" --info=progress2 "$@"
}

# mark_sparse_copies OLD NEW — every regular file of NEW whose original in OLD has holes (allocated less than
# its size: find's %S below 1) and is over 64 KiB gets time 0, so the next pass copies it again; prints how
# many. Why: the bulk copy (copy_bulk) writes without rsync's -S, whose sparse writes go 1 KiB at a time
# and cost about 30 % of the copy's speed, so its copies of sparse files are written out in full. grep
# picks the sparse ones: bash reads a pipe one byte at a time, ≈ 1 s of CPU per 100,000 files over 64 KiB.
mark_sparse_copies() {
  local old=$1 new=$2 record
  local -a copies=()
  # %S is printed as by printf %g: "0.25", "6.10352e-05" or "0" below 1, "1" or "1.00049" from 1 on.
  while IFS= read -r -d '' record; do
    copies+=("$new/${record#* }")
  done < <(find "$old" -xdev -type f -size +64k -printf '%S %P\0' 2>/dev/null | grep -z -E '^(0|[^ ]*e-)')
  ((${#copies[@]} == 0)) || printf '%s\0' "${copies[@]}" | xargs -0 touch -c -h -d @0 --
  echo "${#copies[@]}"
}

# copy_bulk LABEL OLD NEW TOTAL ERRORS [OPTION...] — the bulk of a copy at full speed: rsync_root without
# -S, then, if OLD has sparse files, their copies again with -S (mark_sparse_copies), so NEW keeps the
# holes. Arguments as copy_pass, the options for both passes. Returns the first failing rsync's exit code.
copy_bulk() {
  local label=$1 old=$2 new=$3 total=$4 errors=$5 rc=0 rc_sparse=0 sparse
  shift 5
  copy_pass "$label" "$old" "$new" "$total" "$errors" --no-sparse "$@" || rc=$?
  sparse=$(mark_sparse_copies "$old" "$new")
  if ((sparse > 0)); then
    log "copying $sparse sparse file(s) again, keeping their holes"
    copy_pass "$label, sparse files" "$old" "$new" 0 "$errors" "$@" || rc_sparse=$?
    ((rc != 0)) || rc=$rc_sparse
  fi
  return "$rc"
}

# start_copy OLD NEW MODE — NEW exists and carries the marker (holding MODE): "copy in progress", so an
# interrupted copy is resumed or removed, never taken for data.
start_copy() {
  have rsync || die "rsync is needed to move data-root. Fix: apt-get install rsync."
  mkdir -p "$2"
  printf '%s\n' "$3" >"$2/$DH_MIGRATING_MARKER"
}

# docker_mounts_below ROOT [MOUNTINFO] — the mount points below ROOT that Docker makes for running
# containers and plugins: the containers' overlay views (overlay2/*/merged), the mounts under
# containers/*/mounts (/dev/shm, secrets), the volumes of the local driver with mount options
# (volumes/NAME/_data of a volume whose volumes/NAME/opts.json exists: NFS, bind, tmpfs) and what a managed
# plugin mounted in its propagated mount (plugins/ID/propagated-mount/…: a volume plugin's NFS, sshfs or
# block device volumes; older Engines, going by moby's plugin manager of 2017–18, also bind that mount into
# plugins/ID/rootfs/…). None is data of this root: Docker, or the plugin, mounts it again on the new one.
# Relative to ROOT, each once, from MOUNTINFO (default /proc/self/mountinfo). Only names of [A-Za-z0-9._/-]
# (mountinfo escapes others): they become rsync patterns.
docker_mounts_below() {
  awk -v root="$1/" '
    function readable(file,   line, status) {
      status = (getline line <file)
      if (status >= 0) close(file)
      return status >= 0
    }
    index($5, root) == 1 {
      for (i = 7; $i != "-"; i++) continue
      rel = substr($5, length(root) + 1)
      if (rel !~ /^[A-Za-z0-9._\/-]+$/ || rel in seen) next
      if ($(i + 1) == "overlay" || rel ~ /^containers\/[^\/]+\/mounts\// || rel ~ /^plugins\/[^\/]+\/(propagated-mount|rootfs)\/./) print rel
      else if (rel ~ /^volumes\/[^\/]+\/_data$/ && readable(root substr(rel, 1, length(rel) - 5) "opts.json")) print rel
      else next
      seen[rel]
    }' "${2:-/proc/self/mountinfo}"
}

# The mount points below the old root that pass 1 did not copy into (copy_live sets it).
PASS1_SKIPPED_MOUNTS=()

# copy_live OLD NEW MODE — the first pass, while Docker and the containers run: most of OLD reaches NEW before
# anything stops. Files that vanish or change meanwhile are expected: rsync's exit code 24 (files vanished)
# and 23 (partial transfer: also what a file that shrank while it was read gives) are tolerated, because
# the stopped pass that follows copies whatever this one missed and tolerates nothing. Any other failure
# (no space, an I/O error) returns 1. rsync's complaints about vanished files are counted, not relayed.
# What Docker mounts below OLD for the running containers and plugins (docker_mounts_below) is left out:
# their overlay views (overlay2/*/merged: their images' files once more), tmpfs mounts and volumes mounted
# from elsewhere (an NFS share, a bind, a volume plugin's remote storage: possibly more than the new disk
# holds) are not data of the root, and the stopped pass would have to delete them again; the mount points
# themselves are copied (PASS1_SKIPPED_MOUNTS, for copy_changed). Any other filesystem mounted below OLD is
# copied as data.
# Sets LIVE_PASS_SINCE: when the pass began (epoch seconds, less one), for mark_stale_copies and copy_changed.
copy_live() {
  local old=$1 new=$2 mode=$3 size there rc=0 errors vanished started skip now
  start_copy "$old" "$new" "$mode"
  printf -v started '%(%s)T' -1
  mapfile -t PASS1_SKIPPED_MOUNTS < <(docker_mounts_below "$old")
  skip=$(mktemp)
  if ((${#PASS1_SKIPPED_MOUNTS[@]} > 0)); then
    printf '/%s/*\n' "${PASS1_SKIPPED_MOUNTS[@]}" >"$skip"
    log "pass 1 leaves out what is mounted on ${#PASS1_SKIPPED_MOUNTS[@]} mount point(s) Docker made for the running containers and plugins"
  fi
  size=$(du -sx --block-size=1 "$old" | cut -f1)
  there=$(du -sx --block-size=1 "$new" | cut -f1)
  log "copying $old to $new ($mode, $(human_bytes "$size")) while Docker runs; then Docker stops while what changed meanwhile is copied"
  errors=$(mktemp)
  copy_bulk "copy, pass 1 of 2 (Docker running)" "$old" "$new" "$((size > there ? size - there : 0))" "$errors" "--exclude-from=$skip" || rc=$?
  rm -f "$skip"
  vanished=$(grep -c '^file has vanished: ' "$errors" || true)
  grep -v -e '^file has vanished: ' -e '^rsync warning: some files vanished before they could be transferred' "$errors" >&2 || true
  rm -f "$errors"
  case $rc in
    0) ;;
    23 | 24) log "pass 1: ${vanished} file(s) vanished and some changed while they were copied (rsync exit $rc); the stopped pass copies them" ;;
    *)
      log "the copy while Docker runs failed (rsync exit $rc)"
      return 1
      ;;
  esac
  LIVE_PASS_SINCE=$((started - 1))
  printf -v now '%(%s)T' -1
  mark_stale_copies "$new" "$LIVE_PASS_SINCE" "$((now + 1))"
  # What pass 1 wrote goes to the disk now, while Docker runs: left in the page cache, it is written back
  # while everything is stopped, and slows pass 2, the check and dockerd's start (its database syncs wait
  # for it): in the migration benchmark, a 3.6 GiB move kept the containers down 7.9 s, with this 3.6 s.
  log "writing the copy to the disk before Docker stops"
  sync -f "$new"
}

# mark_stale_copies NEW SINCE UNTIL — before the stopped pass: every regular file of NEW whose time (the
# original's, as pass 1 read it) is from SINCE on and before UNTIL (epoch seconds: pass 1's start and end)
# gets time 0, so pass 2 copies it again. (A time in the future is an image's, not a write during pass 1.)
# Why: rsync finds changed files by size and whole seconds of modification time, and a file written again
# in the same second as pass 1 copied it, to the same size, would look copied; every such file was last
# written after the pass began, so its copy has a time from SINCE on. Touches NEW only; costs a walk of
# NEW while Docker still runs, and a second copy of what changed during pass 1 (pass 2 copies most of it
# anyway).
mark_stale_copies() {
  find "$1" -xdev -type f -newermt "@$2" ! -newermt "@$3" ! -path "$1/$DH_MIGRATING_MARKER" -exec touch -c -h -d @0 -- {} +
}

# copy_changed OLD NEW SINCE LABEL — Docker stopped, after pass 1: copy into NEW only what changed in OLD
# from SINCE (epoch seconds) on, found by one walk of OLD for the inodes' change time (ctime: every write,
# chmod, chown, xattr, link and rename sets it, and only the kernel sets it; a created, removed or renamed
# entry sets its directory's too), into what is still mounted below OLD too (with Docker stopped, data: the
# check copies it all the same), and the mount points pass 1 left out (PASS1_SKIPPED_MOUNTS). Of a
# changed directory, the names NEW holds and OLD no longer does are removed; a directory NEW lacks (created,
# or renamed to a new name) is copied whole. Why: a pass over both whole trees (the migration benchmark's
# 26k entries: ≈ 0.6 s of lstat, ACL and xattr calls) is most of the containers' downtime when little
# changed, and the check that follows is one already. Best effort: copy_root's check compares the whole
# trees and copies what this missed (e.g. a directory renamed onto a name NEW holds: its names are
# compared, not what is below them). Returns 1 or rsync's exit code on failure.
copy_changed() {
  local old=$1 new=$2 since=$3 label=$4 record type size path under='' total=0 rc=0 new_real i want lists
  local -a entries=() dirs=() whole=() gone=() real=()
  while IFS= read -r -d '' record; do
    type=${record%% *} record=${record#* }
    size=${record%% *} path=${record#* }
    path=${path:-.}
    # find lists a directory's subtree right after it: what is below a directory copied whole goes with it.
    if [ -n "$under" ] && [[ $path == "$under"/* ]]; then continue; fi
    if [ "$type" != d ]; then
      entries+=("$path")
      [ "$type" != f ] || total=$((total + size))
    elif [ -d "$new/$path" ] && [ ! -L "$new/$path" ]; then
      entries+=("$path")
      dirs+=("$path")
    else
      whole+=("$path")
      under=$path
    fi
  done < <(find "$old" \( -path "$old/lost+found" -o -path "$old/$DH_MIGRATING_MARKER" \) -prune -o -newerct "@$since" -printf '%y %s %P\0')
  # (One also listed above is listed twice: rsync and the name lists take that as once.)
  for path in "${PASS1_SKIPPED_MOUNTS[@]}"; do
    if [ -d "$old/$path" ] && [ ! -L "$old/$path" ] && [ -d "$new/$path" ] && [ ! -L "$new/$path" ]; then
      entries+=("$path")
      dirs+=("$path")
    fi
  done
  # Whole directories first (a symlink NEW holds where OLD now has a directory becomes that directory).
  if ((${#whole[@]} > 0)); then
    if printf './%s\0' "${whole[@]}" |
      with_copy_progress "$label, new directories" 0 rsync_exact -r --from0 --files-from=- --force --info=progress2 "$old/" "$new/"; then :; else return "${PIPESTATUS[1]}"; fi
  fi
  if ((${#dirs[@]} > 0)); then
    # Only directories of NEW itself, none reached through a symlink: their names are compared, and what
    # OLD lacks is removed. NEW's unchanged part mirrors OLD's, so this holds unless NEW was changed by
    # someone else; then the check compares everything.
    new_real=$(realpath -e -- "$new")
    mapfile -d '' real < <(cd "$new" && printf '%s\0' "${dirs[@]}" | xargs -0 realpath -z -m --)
    for i in "${!dirs[@]}"; do
      if [ "${dirs[i]}" = . ]; then want=$new_real; else want=$new_real/${dirs[i]}; fi
      if [ "${real[i]:-}" != "$want" ]; then
        log "not comparing the names in $new/${dirs[i]} (reached through a symlink); the check compares the whole trees"
        dirs=()
        break
      fi
    done
  fi
  if ((${#dirs[@]} > 0)); then
    lists=$(mktemp -d)
    # Names in a changed directory of NEW that OLD no longer has (both listings must succeed: a missing
    # listing of OLD would make every name look removed).
    # shellcheck disable=SC2185 # find's start points come from -files0-from
    (cd "$old" && printf './%s\0' "${dirs[@]}" | find -files0-from - -mindepth 1 -maxdepth 1 -printf '%p\0' | LC_ALL=C sort -z >"$lists/old") &&
      (cd "$new" && printf './%s\0' "${dirs[@]}" | find -files0-from - -mindepth 1 -maxdepth 1 ! -path ././lost+found ! -path "././$DH_MIGRATING_MARKER" -printf '%p\0' | LC_ALL=C sort -z >"$lists/new") &&
      mapfile -d '' gone < <(LC_ALL=C comm -z -13 "$lists/old" "$lists/new") || rc=1
    rm -rf "$lists"
    ((rc == 0)) || return 1
  fi
  log "since pass 1 began: $((${#entries[@]} + ${#whole[@]})) entries changed ($(human_bytes "$total") in files), ${#gone[@]} removed"
  # Removed here, not by rsync's --delete-missing-args: rsync 3.2.7 (Debian 12's before its 3.5.0 update)
  # fails on it ("invalid file mode 00"). Then the changed entries, whose pass sets their parents' times.
  if ((${#gone[@]} > 0)); then
    (cd "$new" && printf '%s\0' "${gone[@]}" | xargs -0 rm -rf --) || return 1
  fi
  if ((${#entries[@]} > 0)); then
    # ./ before each name: rsync reads a name that begins with # or ; as a comment.
    if printf './%s\0' "${entries[@]}" |
      with_copy_progress "$label" "$total" rsync_exact --from0 --files-from=- --force --info=progress2 "$old/" "$new/"; then :; else rc=${PIPESTATUS[1]}; fi
  fi
  return "$rc"
}

# copy_root OLD NEW MODE [SINCE] — Docker stopped, make NEW an exact copy of OLD: after pass 1 (SINCE: when
# it began, as copy_live sets LIVE_PASS_SINCE) what changed since (copy_changed), without SINCE the whole
# tree (rsync_root); then the check: rsync over both whole trees, copying what is still missing, then a dry
# run if it copied anything, and remove the marker. OLD is never modified.
copy_root() {
  local old=$1 new=$2 mode=$3 since=${4:-} diff started=$SECONDS label="copy, pass 2 of 2 (Docker stopped)"
  start_copy "$old" "$new" "$mode"
  if [ -n "$since" ]; then
    log "copying to $new what changed in $old since pass 1 began (Docker stopped)"
    copy_changed "$old" "$new" "$since" "$label" || return 1
  else
    log "copying $old to $new (Docker stopped)"
    copy_pass "$label" "$old" "$new" 0 "" || return 1
  fi
  # A pass that finds nothing to copy is the dry run finding no difference; anything it copies was
  # missed before, and a dry run must then find nothing.
  diff=$(rsync_root "$old" "$new" --itemize-changes) || return 1
  if [ -n "$diff" ]; then
    log "the check copied what the pass before missed ($(wc -l <<<"$diff") entries): $(head -n 5 <<<"$diff")"
    diff=$(rsync_root "$old" "$new" --dry-run --itemize-changes) || return 1
    if [ -n "$diff" ]; then
      log "the copy differs from the original: $(head -n 5 <<<"$diff")"
      return 1
    fi
  fi
  rm -f "$new/$DH_MIGRATING_MARKER"
  # Removing the marker gave NEW's root directory a new time: OLD's again, so the copy stays exact.
  touch -c -r "$old" -- "$new"
  log "the stopped pass and its check took $((SECONDS - started)) s"
}

# undo_copy NEW MODE — after a copy failed: a copy this run started in an empty root is removed; what a
# delta left is a copy of the old root, known from now on.
undo_copy() {
  if [ "$2" = copy ]; then remove_partial_copy "$1"; else root_left "$1"; fi
}

# move_root OLD NEW MODE — copy OLD to NEW (as plan_root_move decided) in two passes: while Docker runs, then,
# Docker and the containers stopped, what changed meanwhile (copy_live, copy_root); or undo and fail: Docker
# and the containers run again on OLD (untouched). Returns with Docker stopped, for the switch. Uses the
# caller's READY_TIMEOUT and START_TS.
move_root() {
  local old=$1 new=$2 mode=$3
  journal_set from_root "$old"
  journal_set to_root "$new"
  [ "$mode" != copy ] || journal_set copy_into "$new"
  if ! copy_live "$old" "$new" "$mode"; then
    undo_copy "$new" "$mode"
    journal_end
    die "copying $old to $new failed while Docker ran; nothing was stopped or switched, Docker runs on $old as before, and $old is untouched."
  fi
  stop_docker_for_copy "$old"
  if copy_root "$old" "$new" "$mode" "$LIVE_PASS_SINCE"; then return 0; fi
  undo_copy "$new" "$mode"
  restart_docker || true
  if ! wait_for_docker "$READY_TIMEOUT"; then
    die "copying $old to $new failed, and Docker did not come back on $old (untouched). Inspect 'journalctl -u docker'. dockerd said:
$(journal_tail "$START_TS")"
  fi
  start_stopped_containers
  journal_end
  die "copying $old to $new failed; nothing was switched, Docker runs on $old as before, and $old is untouched."
}

# remove_partial_copy NEW — remove what an unfinished copy into a root that was empty put there.
remove_partial_copy() {
  [ "$(cat "$1/$DH_MIGRATING_MARKER" 2>/dev/null)" = copy ] || return 0
  log "removing the unfinished copy in $1"
  find "$1" -mindepth 1 -maxdepth 1 ! -name lost+found ! -name "$DH_MIGRATING_MARKER" -exec rm -rf -- {} +
  rm -f "$1/$DH_MIGRATING_MARKER"
}

# recover_interrupted READY_TIMEOUT — finish what an interrupted transaction left, from its journal: before
# its switch was verified, the previous files come back and a partial copy it created goes; after, the
# switch stands. Either way Docker and the containers it stopped run again. Call under the host lock.
recover_interrupted() {
  [ -e "$DH_JOURNAL" ] || return 0
  local timeout=$1 files from to copy_into
  files=$(journal_get files)
  from=$(journal_get from_root)
  to=$(journal_get to_root)
  copy_into=$(journal_get copy_into)
  log "recovering the $(journal_get step) transaction interrupted since $(journal_get since)"
  if [ "$(systemctl is-system-running 2>/dev/null || true)" = stopping ]; then
    log "the system is shutting down; recovery is left to the next run"
    return 1
  fi
  if [ "$files" = verified ]; then
    [ -z "$to" ] || roots_switched "$from" "$to"
  else
    [ "$files" != installed ] || restore_previous_files
    if [ -n "$to" ]; then
      # Stopped by this transaction: keep it stopped while the copy goes. Interrupted in the pass while Docker
      # runs, Docker stays up: it never left $from.
      [ "$(journal_get docker)" != stopped ] || systemctl stop docker.socket docker.service 2>/dev/null || true
      if [ -n "$copy_into" ]; then remove_partial_copy "$copy_into"; fi
      # Whatever is left in the target is a copy of $from (complete or not), known from now on.
      [ ! -d "$to" ] || dir_is_empty "$to" || root_left "$to"
    fi
  fi
  if ! read_docker_info; then
    restart_docker || true
    wait_for_docker "$timeout" || die "recovering the interrupted transaction: Docker did not start again. Inspect 'journalctl -u docker'."
  fi
  start_stopped_containers
  journal_end
  log "recovered: Docker runs on $DOCKER_ROOT"
}
