#!/usr/bin/env bash
# disk.sh — prepare the dedicated data disk and mount it persistently.
#
# Every check comes before the first change (a refused mount point leaves a blank disk blank), and it
# never destroys data: a device is formatted only when it carries no signature at all (no filesystem,
# no partition table, no RAID/LVM member); one that already has the requested filesystem is reused;
# anything else is refused. xfs must have ftype=1 (overlay2 needs d_type), checked on reuse too.
# The disk is mounted by a systemd .mount unit (fstab device entries are ignored in containers and
# by-uuid links need udev), and docker.service gets RequiresMountsFor= the mount point so Docker never
# starts on an empty directory of the root filesystem when the disk is missing.
#
# stdin:  DEVICE=/dev/vdb  FILESYSTEM=xfs|ext4  MOUNT_POINT=/data   (one per line)
# stdout: {"device":…,"uuid":…,"filesystem":…,"formatted":true|false,"mountUnit":…}
# exit:   0 mounted; 1 refused or failed (the reason on stderr).
# shellcheck source-path=SCRIPTDIR
DH_STEP=data-disk
# shellcheck source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

# signature_summary DEVICE — every signature wipefs sees ("" when blank). Read-only (-n).
signature_summary() { wipefs -n -p "$1" 2>/dev/null | awk -F, 'NR > 0 && $0 !~ /^#/ { print $4 }' | sort -u | paste -sd, -; }

format_blank_device() {
  local device=$1 fs=$2 signatures pttype
  pttype=$(blkid -p -o value -s PTTYPE "$device" 2>/dev/null || true)
  [ -z "$pttype" ] || die "$device holds a $pttype partition table; refusing to format it. Fix: point dataDisk.device at the partition you want, or clear the device yourself if its data is expendable."
  signatures=$(signature_summary "$device")
  [ -z "$signatures" ] || die "$device carries signatures ($signatures); refusing to format it. Fix: clear it yourself (wipefs) if its data is expendable."
  if findmnt -rn -S "$device" >/dev/null 2>&1; then die "$device is mounted; refusing to format it."; fi
  log "formatting blank $device as $fs"
  case $fs in
    xfs) mkfs.xfs -q -n ftype=1 "$device" ;;
    ext4) mkfs.ext4 -q -F -L docker-data "$device" ;; # -F only skips the prompt for whole devices; blankness was checked above
  esac
}

check_xfs_ftype() {
  local device=$1 version
  have xfs_db || die "xfs_db is missing. Fix: apt-get install xfsprogs."
  version=$(xfs_db -r -c version "$device" 2>/dev/null) || die "cannot read the xfs superblock of $device"
  case $version in
    *FTYPE*) ;;
    *) die "$device is xfs without ftype=1 (d_type), which overlay2 needs; refusing to use it. Fix: use another device, or back up its data and recreate it with mkfs.xfs -n ftype=1." ;;
  esac
}

mount_unit_content() {
  local what=$1 where=$2 fs=$3
  cat <<UNIT
# Managed by docker-host. Mounts Docker's data disk; docker.service requires it.
[Unit]
Description=Docker data disk (docker-host)
Before=docker.service

[Mount]
What=$what
Where=$where
Type=$fs
Options=defaults,noatime

[Install]
WantedBy=local-fs.target
UNIT
}

# Set by main when it replaces docker.service's data-disk drop-in: a copy of the one before (the path is
# "" when unchanged, and names no file when there was none).
previous_dropin=""

# undo_dropin_and_die REASON — the disk did not mount: docker.service's drop-in as it was, then fail.
undo_dropin_and_die() {
  if [ -n "$previous_dropin" ]; then
    if [ -e "$previous_dropin" ]; then mv -f "$previous_dropin" "$DH_DROPIN_DISK"; else rm -f "$DH_DROPIN_DISK"; fi
    systemctl daemon-reload
  fi
  die "$1"
}

main() {
  read_params DEVICE FILESYSTEM MOUNT_POINT
  local device=$P_DEVICE fs=$P_FILESYSTEM mount_point=$P_MOUNT_POINT
  local current uuid what unit unit_path formatted=false source fstype unit_changed=no dropin
  require_safe_path DEVICE "$device"
  require_safe_path MOUNT_POINT "$mount_point"
  case $fs in xfs | ext4) ;; *) die "FILESYSTEM must be xfs or ext4, not '$fs'" ;; esac
  for tool in blkid wipefs findmnt; do
    have "$tool" || die "$tool is required. Fix: apt-get install util-linux."
  done
  have "mkfs.$fs" || die "mkfs.$fs is missing. Fix: apt-get install $([ "$fs" = xfs ] && echo xfsprogs || echo e2fsprogs)."
  [ -b "$device" ] || die "$device does not exist or is not a block device. Fix: check dataDisk.device (lsblk lists the host's disks)."

  # Every check before the first change: the mount point is refused before a blank disk is formatted.
  # Mounting over a non-empty directory would hide its files; refuse instead of shadowing data.
  if ! findmnt -rn --mountpoint "$mount_point" >/dev/null 2>&1 && [ -d "$mount_point" ] \
    && [ -n "$(ls -A "$mount_point")" ]; then
    die "$mount_point is not a mount point but already holds files on the root filesystem; mounting the disk there would hide them. Fix: move them away or choose another dataDisk.mountPoint."
  fi
  source=$(findmnt -rn -o SOURCE --mountpoint "$mount_point" 2>/dev/null || true)
  if [ -n "$source" ] && [ "$(readlink -f "$source")" != "$(readlink -f "$device")" ]; then
    die "$mount_point already has $source mounted, not $device. Fix: choose another dataDisk.mountPoint or unmount it yourself."
  fi

  current=$(blkid -p -o value -s TYPE "$device" 2>/dev/null || true)
  if [ -z "$current" ]; then
    format_blank_device "$device" "$fs"
    formatted=true
  elif [ "$current" != "$fs" ]; then
    die "$device already holds a $current filesystem, not $fs; refusing to format it (that would destroy its data). Fix: set dataDisk.filesystem to \"$current\" to use it as it is, or choose another device."
  else
    log "reusing the existing $fs filesystem on $device"
  fi
  [ "$fs" != xfs ] || check_xfs_ftype "$device"

  uuid=$(blkid -p -o value -s UUID "$device" 2>/dev/null || true)
  what=$device
  if [ -n "$uuid" ] && [ -e "/dev/disk/by-uuid/$uuid" ]; then what="/dev/disk/by-uuid/$uuid"; fi
  unit=$(systemd-escape --path --suffix=mount "$mount_point")
  unit_path="/etc/systemd/system/$unit"
  mkdir -p "$mount_point"

  # One daemon-reload (≈ 160 ms of the host's CPU: systemd reruns its generators) for a new or changed unit,
  # its enabling (`enable` alone would reload once more) and docker.service's drop-in: Docker must not start
  # without the disk (the apply step's restart activates it). The drop-in as it was is kept until the disk
  # is mounted, and put back if it does not mount, so a failed mount never makes Docker wait for it.
  if [ "$(mount_unit_content "$what" "$mount_point" "$fs")" != "$(cat "$unit_path" 2>/dev/null)" ]; then
    mount_unit_content "$what" "$mount_point" "$fs" | write_file_atomic "$unit_path" 0644
    unit_changed=yes
  fi
  if ! systemctl is-enabled --quiet "$unit" 2>/dev/null; then
    systemctl enable --quiet --no-reload "$unit"
    unit_changed=yes
  fi
  dropin=$(printf '[Unit]\nRequiresMountsFor=%s' "$mount_point")
  if [ "$dropin" != "$(cat "$DH_DROPIN_DISK" 2>/dev/null)" ]; then
    previous_dropin=$(mktemp "$DH_STATE_DIR/.disk-dropin.XXXXXX")
    if [ -e "$DH_DROPIN_DISK" ]; then cp -p "$DH_DROPIN_DISK" "$previous_dropin"; else rm -f "$previous_dropin"; fi
    printf '%s\n' "$dropin" | write_file_atomic "$DH_DROPIN_DISK" 0644
    unit_changed=yes
  fi
  [ "$unit_changed" = no ] || systemctl daemon-reload
  systemctl start "$unit" \
    || undo_dropin_and_die "could not mount $device at $mount_point: $(journalctl -u "$unit" -n 5 --no-pager -o cat 2>/dev/null | tr '\n' ' ')"
  fstype=$(findmnt -rn -o FSTYPE --mountpoint "$mount_point" || true)
  [ "$fstype" = "$fs" ] || undo_dropin_and_die "after mounting, $mount_point shows filesystem '${fstype:-none}', expected $fs"
  [ -z "$previous_dropin" ] || rm -f "$previous_dropin"

  log "ok: $device ($fs, uuid ${uuid:-none}) mounted at $mount_point by $unit"
  printf '{"device":%s,"uuid":%s,"filesystem":%s,"formatted":%s,"mountUnit":%s}\n' \
    "$(json_escape "$device")" "$(json_escape "$uuid")" "$(json_escape "$fs")" "$formatted" "$(json_escape "$unit")"
}

main "$@"
