#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# gate.sh — refuse a host before anything changes on it: dockerd must be installed and running, the
# kernel must support overlay, and Docker must already use the required storage driver (switching
# drivers hides every existing image and container, so that is never done silently).
#
# stdin:  REQUIRED_STORAGE_DRIVER=overlay2
# stdout: {"storageDriver":…,"backingFilesystem":…,"serverVersion":…}
# exit:   0 the host may be configured; 1 refused (the reason on stderr).
DH_STEP=gate
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  read_params REQUIRED_STORAGE_DRIVER
  local required=$P_REQUIRED_STORAGE_DRIVER driver root backing version

  have dockerd || die "dockerd is not installed. Fix: install Docker (Debian: apt-get install docker.io) and re-run."
  have systemctl || die "systemd is required (no systemctl found)."
  if [ "$required" = overlay2 ] && ! grep -qw overlay /proc/filesystems; then
    modprobe overlay 2>/dev/null || true
    grep -qw overlay /proc/filesystems \
      || die "the kernel has no overlay filesystem support, which storage driver overlay2 needs. Fix: load the overlay module (modprobe overlay) or use a kernel that has it."
  fi
  docker_up || die "dockerd is not answering (systemctl status docker). Fix: start Docker and make sure 'docker info' works as root, then re-run."

  driver=$(docker_fact '{{.Driver}}')
  root=$(docker_fact '{{.DockerRootDir}}')
  version=$(docker_fact '{{.ServerVersion}}')
  backing=$(findmnt -n -o FSTYPE --target "$root" 2>/dev/null || stat -f -c %T "$root" 2>/dev/null || echo unknown)
  if [ "$driver" != "$required" ]; then
    die "Docker uses storage driver '$driver' on a '$backing' filesystem ($root), not '$required'. Changing the driver would hide every existing image and container, so nothing was changed. Fix: move this host to '$required' by hand (its images must be re-pulled or exported and imported), or, if '$driver' is intended (btrfs, zfs or fuse-overlayfs), set daemon.storageDriver to it."
  fi
  log "ok: Docker $version, storage driver $driver on $backing"
  printf '{"storageDriver":%s,"backingFilesystem":%s,"serverVersion":%s}\n' \
    "$(json_escape "$driver")" "$(json_escape "$backing")" "$(json_escape "$version")"
}

main "$@"
