# shellcheck shell=bash
# lib.sh — helpers shared by the docker-host step scripts; each step sources it. Not run on its own.
#
# Conventions: parameters arrive on stdin as KEY=VALUE lines (never on the command line); progress and
# errors go to stderr; the last line on stdout is the step's JSON result.

set -euo pipefail
umask 022

# Constants used by the step scripts.
# shellcheck disable=SC2034
{

readonly DH_STATE_DIR=/var/lib/docker-host
readonly DH_BACKUP_DIR=/var/lib/docker-host/backup
readonly DH_DAEMON_JSON=/etc/docker/daemon.json
readonly DH_DROPIN_DIR=/etc/systemd/system/docker.service.d
readonly DH_DROPIN_LISTEN=/etc/systemd/system/docker.service.d/10-docker-host.conf
readonly DH_DROPIN_DISK=/etc/systemd/system/docker.service.d/20-docker-host-data-disk.conf
readonly DH_DEFAULT_ROOT=/var/lib/docker
readonly DH_TLS_DIR=/etc/docker/tls
readonly DH_MIGRATING_MARKER=.docker-host-migrating
# daemon.json keys dockerd re-reads on SIGHUP; keep equal to RELOADABLE_DAEMON_KEYS in daemonSettings.ts.
readonly DH_RELOADABLE_KEYS="authorization-plugins,debug,default-runtime,features,insecure-registries,labels,live-restore,max-concurrent-downloads,max-concurrent-uploads,max-download-attempts,registry-mirrors,runtimes,shutdown-timeout"
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

docker_up() { docker info >/dev/null 2>&1; }

docker_fact() { docker info --format "$1" 2>/dev/null; }

# wait_for_docker SECONDS — poll until dockerd answers; bounded.
wait_for_docker() {
  local deadline=$((SECONDS + $1))
  until docker_up; do
    if ((SECONDS >= deadline)); then return 1; fi
    if systemctl is-failed --quiet docker.service; then return 1; fi
    sleep 0.2
  done
}

# dockerd_pid — main PID of docker.service (0 when not running).
dockerd_pid() { systemctl show -p MainPID --value docker.service 2>/dev/null || echo 0; }

# sha_of FILE... — one digest over the files' bytes, "-" for a missing file.
sha_of() {
  local f
  for f in "$@"; do
    if [ -e "$f" ]; then sha256sum <"$f"; else echo "absent"; fi
  done | sha256sum | cut -d' ' -f1
}

# write_file_atomic PATH MODE < content — replace PATH with stdin via a temp file and rename.
write_file_atomic() {
  local path=$1 mode=$2 tmp
  mkdir -p "$(dirname "$path")"
  tmp=$(mktemp "$(dirname "$path")/.$(basename "$path").XXXXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$path"
}

# json_top_string KEY FILE — value of a top-level string key in a canonical daemon.json (rendered by
# daemonJson.ts: one top-level key per line, indented by exactly two spaces). Empty when absent.
json_top_string() {
  sed -n "s/^  \"$1\": \"\\([^\"\\\\]*\\)\",\\{0,1\\}\$/\\1/p" "$2" | head -n 1
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

# docker_facts_json — the facts DockerHost exports, from `docker info`.
docker_facts_json() {
  docker info --format '{"serverVersion":{{json .ServerVersion}},"storageDriver":{{json .Driver}},"dockerRootDir":{{json .DockerRootDir}},"loggingDriver":{{json .LoggingDriver}},"liveRestore":{{json .LiveRestoreEnabled}}}'
}

# journal_tail SINCE — dockerd's own complaints in the docker.service journal since SINCE (the lines
# that explain a failed start or reload), else the journal's last lines.
journal_tail() {
  local lines relevant
  lines=$(journalctl -u docker.service --since "$1" --no-pager -o cat 2>/dev/null || true)
  relevant=$(grep -iE 'unable to|level=(error|fatal)|invalid|directives|failed to (start|load|configure)|error (reconfiguring|reloading)' <<<"$lines" \
    | grep -vE '^(Failed to start|docker\.service: )' | tail -n 5 || true)
  if [ -n "$relevant" ]; then printf '%s\n' "$relevant"; else tail -n 10 <<<"$lines"; fi
}
