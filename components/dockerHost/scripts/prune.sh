#!/usr/bin/env bash
# prune.sh — install (or update) scheduled pruning: a systemd service + timer that removes unused
# containers, images and networks older than OLDER_THAN, never anything labelled KEEP_LABEL, and volumes
# only when VOLUMES=true. Each run logs what it freed to the journal (journalctl -u docker-host-prune).
#
# stdin:  SCHEDULE=weekly  RANDOMIZED_DELAY_SECONDS=3600  OLDER_THAN=168h  KEEP_LABEL=docker-host.keep
#         VOLUMES=false   (one per line)
# stdout: {"timer":…,"schedule":…,"nextRun":…}
# exit:   0 installed and enabled; 1 refused or failed.
# Paths: the DH_PRUNE_* constants of lib.sh (prune-delete.sh removes the same files).
# shellcheck source-path=SCRIPTDIR
DH_STEP=prune
# shellcheck source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

service_unit() {
  cat <<UNIT
# Managed by docker-host: prunes unused Docker data (see $DH_PRUNE_TIMER_UNIT).
[Unit]
Description=Prune unused Docker data (docker-host)
Requires=docker.service
After=docker.service

[Service]
Type=oneshot
EnvironmentFile=$DH_PRUNE_ENV
ExecStart=$DH_PRUNE_BIN
UNIT
}

timer_unit() {
  cat <<UNIT
# Managed by docker-host.
[Unit]
Description=Scheduled prune of unused Docker data (docker-host)

[Timer]
OnCalendar=$1
RandomizedDelaySec=$2
Persistent=true

[Install]
WantedBy=timers.target
UNIT
}

# install_if_changed PATH MODE — replace PATH with stdin when the bytes differ; true when replaced.
install_if_changed() {
  local content
  content=$(cat)
  if [ -e "$1" ] && [ "$content" = "$(cat "$1")" ]; then return 1; fi
  printf '%s\n' "$content" | write_file_atomic "$1" "$2"
}

main() {
  read_params SCHEDULE RANDOMIZED_DELAY_SECONDS OLDER_THAN KEEP_LABEL VOLUMES
  local changed=false next
  [[ $P_SCHEDULE =~ ^[A-Za-z0-9*:/,.~\ -]+$ ]] || die "SCHEDULE '$P_SCHEDULE' has characters systemd calendar expressions do not use"
  systemd-analyze calendar "$P_SCHEDULE" >/dev/null 2>&1 \
    || die "systemd does not understand the schedule '$P_SCHEDULE'. Fix: use a calendar expression such as \"weekly\" or \"Sun *-*-* 03:00\" (man systemd.time)."
  [[ $P_RANDOMIZED_DELAY_SECONDS =~ ^[0-9]+$ ]] || die "RANDOMIZED_DELAY_SECONDS must be a number"
  [[ $P_OLDER_THAN =~ ^([0-9]+[hms])+$ ]] || die "OLDER_THAN '$P_OLDER_THAN' is not a duration like 168h"
  [[ $P_KEEP_LABEL =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "KEEP_LABEL '$P_KEEP_LABEL' is not a label key"
  [[ $P_VOLUMES =~ ^(true|false)$ ]] || die "VOLUMES must be true or false"

  mkdir -p "$(dirname "$DH_PRUNE_BIN")" "$(dirname "$DH_PRUNE_ENV")"
  install_if_changed "$DH_PRUNE_BIN" 0755 <"${BASH_SOURCE[0]%/*}/prune-run.sh" && changed=true
  printf 'PRUNE_OLDER_THAN=%s\nPRUNE_KEEP_LABEL=%s\nPRUNE_VOLUMES=%s\n' "$P_OLDER_THAN" "$P_KEEP_LABEL" "$P_VOLUMES" \
    | install_if_changed "$DH_PRUNE_ENV" 0644 && changed=true
  service_unit | install_if_changed "$DH_PRUNE_SERVICE" 0644 && changed=true
  timer_unit "$P_SCHEDULE" "$P_RANDOMIZED_DELAY_SECONDS" | install_if_changed "$DH_PRUNE_TIMER" 0644 && changed=true
  if [ "$changed" = true ]; then
    systemctl daemon-reload
    systemctl restart "$DH_PRUNE_TIMER_UNIT"
  fi
  systemctl enable --quiet --now "$DH_PRUNE_TIMER_UNIT"
  next=$(systemctl show -p NextElapseUSecRealtime --value "$DH_PRUNE_TIMER_UNIT" 2>/dev/null || true)
  log "ok: $DH_PRUNE_TIMER_UNIT ($P_SCHEDULE, up to ${P_RANDOMIZED_DELAY_SECONDS}s later; next: ${next:-unknown})"
  printf '{"timer":"%s","schedule":%s,"nextRun":%s}\n' "$DH_PRUNE_TIMER_UNIT" "$(json_escape "$P_SCHEDULE")" "$(json_escape "$next")"
}

main "$@"
