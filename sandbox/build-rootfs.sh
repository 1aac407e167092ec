#!/usr/bin/env bash
# build-rootfs.sh — the recipe of the docker-host-sandbox guest root filesystem.
#
# Usage: build-rootfs.sh TARGET_DIR [ENGINE]
#        build-rootfs.sh --engines     (lists the ENGINE values, default first)
#
# Runs debootstrap (Debian bookworm) into TARGET_DIR (which must not exist or
# be empty) and configures the result as a sandbox "server": systemd as PID 1,
# sshd (root login by key), Docker Engine ENGINE + containerd, users deploy
# (passwordless sudo) and guest (no sudo), and a tiny busybox image tarball for
# `docker import` at /usr/local/share/docker-host-sandbox/busybox.tar.
#
# ENGINE (one of ENGINES): 20.10 is bookworm's own docker.io; 26.1 is Debian 13
# (trixie)'s docker.io, docker-cli and containerd, 28.5 Debian unstable's, each
# on the same bookworm system (runc, libc and systemd stay bookworm's), the way
# an operator runs a newer Engine on Debian 12. 29.5, which Debian has not
# packaged, is 28.5's packages with dockerd and runc built from the Go modules
# pinned in engine29/ (engine29/build.sh), on a root that Engine 28 had used:
# a host upgraded from 28, which keeps overlay2 (a fresh 29 install does not;
# tests/host/engine29.test.ts empties the root for that).
#
# Per-host things (SSH host keys, authorized_keys, hostname, machine-id) are
# NOT set here: `sandbox up` writes them into each host's private copy.
#
# The cache key of the built rootfs is the sha256 of this file's content, of
# engine29/build.sh and of engine29's Go pins, so any edit to them makes
# `sandbox build` rebuild. Called by `sandbox build`, which handles locking,
# the temporary directory and the atomic rename.
#
# Exit codes: 0 ok, 1 failure, 2 usage error.
set -euo pipefail

readonly SUITE=bookworm
readonly MIRROR=http://deb.debian.org/debian
readonly PACKAGES=(
  systemd-sysv dbus libpam-systemd openssh-server sudo
  docker.io containerd runc tini iptables
  xfsprogs e2fsprogs util-linux mount rsync busybox-static
  ca-certificates iproute2 iputils-ping procps less kmod
  docker-registry
)
readonly SHARE_DIR=/usr/local/share/docker-host-sandbox
# ENGINE:SUITE[:EXTRA] — each Engine, the Debian suite whose docker.io provides it (the first is the default),
# and what else apt-get must install (PKG/SUITE) or remove (PKG-) for it: sid's docker.io wants tini-static,
# which replaces bookworm's tini.
readonly ENGINES=(20.10:bookworm 26.1:trixie "28.5:sid:tini-static/sid tini-" "29.5:sid:tini-static/sid tini-")
# Engines with no Debian package: ENGINE:DIR, whose DIR/build.sh builds its dockerd and runc (install_built).
readonly BUILT_ENGINES=(29.5:engine29)
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR

log() { printf 'build-rootfs: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# run_in ROOT CMD... — run a command chrooted into the target.
run_in() {
  local root="$1"
  shift
  chroot "${root}" /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

do_debootstrap() {
  local root="$1" include
  include="$(IFS=,; printf '%s' "${PACKAGES[*]}")"
  log "debootstrap ${SUITE} into ${root} (this takes a few minutes)"
  debootstrap --variant=minbase --include="${include}" \
    "${SUITE}" "${root}" "${MIRROR}" >&2
}

configure_apt() {
  local root="$1"
  cat >"${root}/etc/apt/sources.list" <<EOF
deb ${MIRROR} ${SUITE} main
deb ${MIRROR} ${SUITE}-updates main
deb http://deb.debian.org/debian-security ${SUITE}-security main
EOF
  run_in "${root}" apt-get clean
  rm -rf "${root}"/var/lib/apt/lists/*
}

# engine_suite ENGINE — the suite of ENGINE, or failure for an unknown one.
engine_suite() {
  local pair
  for pair in "${ENGINES[@]}"; do
    [[ "${pair%%:*}" != "$1" ]] || { pair="${pair#*:}"; printf '%s' "${pair%%:*}"; return 0; }
  done
  return 1
}

# install_engine ROOT ENGINE — replace bookworm's docker.io 20.10 with ENGINE's packages, taken from
# its suite by name (apt resolves every dependency from bookworm: none needs a newer libc).
install_engine() {
  local root="$1" engine="$2" suite version pair extra=() pin
  suite="$(engine_suite "${engine}")"
  [[ "${suite}" != "${SUITE}" ]] || return 0
  for pair in "${ENGINES[@]}"; do
    [[ "${pair}" != "${engine}:${suite}:"* ]] || read -r -a extra <<<"${pair#"${engine}:${suite}:"}"
  done
  log "installing Docker Engine ${engine} from ${suite}"
  printf 'deb %s %s main\n' "${MIRROR}" "${suite}" >"${root}/etc/apt/sources.list.d/${suite}.list"
  # Below bookworm's priority: only the packages named here come from the newer suite, and a dependency that
  # would need its libc fails the build instead of upgrading half the system.
  pin="${root}/etc/apt/preferences.d/${suite}"
  printf 'Package: *\nPin: release n=%s\nPin-Priority: 100\n' "${suite}" >"${pin}"
  # The mirror serves a fixed snapshot, whose sid Release file is past its Valid-Until (its signature is
  # still checked).
  run_in "${root}" apt-get update -q -o Acquire::Check-Valid-Until=false >&2
  run_in "${root}" apt-get install -y -q --no-install-recommends \
    "docker.io/${suite}" "docker-cli/${suite}" "containerd/${suite}" "${extra[@]}" >&2
  rm -f "${root}/etc/apt/sources.list.d/${suite}.list" "${pin}"
  install_built "${root}" "${engine}"
  version="$(run_in "${root}" dockerd --version)"
  [[ "${version}" == "Docker version ${engine}."* ]] ||
    die "${suite}'s docker.io is '${version}', not Engine ${engine}: update ENGINES"
}

# install_built ROOT ENGINE — for an Engine of BUILT_ENGINES, its dockerd and runc (built on this machine by
# DIR/build.sh) in place of the packaged ones, and the overlay2 directory Engine 28 leaves in its root: Engine
# 29 keeps the graph driver a root already has (moby's image_store_choice.go, "graphdriver-prior") and starts
# on the containerd image store only on an unused one.
install_built() {
  local root="$1" engine="$2" dir='' pair out
  for pair in "${BUILT_ENGINES[@]}"; do
    [[ "${pair%%:*}" != "${engine}" ]] || dir="${pair#*:}"
  done
  [[ -n "${dir}" ]] || return 0
  log "building dockerd and runc of Engine ${engine} (${dir}/build.sh; a few minutes with a cold Go cache)"
  out="$(mktemp -d)"
  "${SCRIPT_DIR}/${dir}/build.sh" "${out}" >&2 || { rm -rf "${out}"; die "${dir}/build.sh failed"; }
  install -m 0755 "${out}/dockerd" "${root}/usr/sbin/dockerd"
  install -m 0755 "${out}/runc" "${root}/usr/sbin/runc"
  rm -rf "${out}"
  mkdir -p "${root}/var/lib/docker/overlay2/l"
}

configure_users() {
  local root="$1" user
  for user in deploy guest; do
    if ! run_in "${root}" id -u "${user}" >/dev/null 2>&1; then
      run_in "${root}" useradd --create-home --shell /bin/bash "${user}"
    fi
  done
  # '*' = no usable password: key login only (unlike '!', sshd accepts it).
  for user in root deploy guest; do
    run_in "${root}" usermod -p '*' "${user}"
  done
  printf 'deploy ALL=(ALL) NOPASSWD: ALL\n' >"${root}/etc/sudoers.d/deploy"
  chmod 0440 "${root}/etc/sudoers.d/deploy"
  # Make sure "guest" has no sudo rights from any group.
  run_in "${root}" gpasswd -d guest sudo >/dev/null 2>&1 || true
}

configure_ssh() {
  local root="$1"
  mkdir -p "${root}/etc/ssh/sshd_config.d"
  cat >"${root}/etc/ssh/sshd_config.d/docker-host-sandbox.conf" <<'EOF'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
EOF
  # Host keys are generated per host by `sandbox up`.
  rm -f "${root}"/etc/ssh/ssh_host_*
  run_in "${root}" systemctl enable ssh.service >/dev/null 2>&1
}

configure_systemd() {
  local root="$1" unit
  mkdir -p "${root}/etc/systemd/system.conf.d"
  # A hung unit (e.g. a container that ignores SIGTERM) must not stall a
  # guest shutdown/reboot for the default 90 s.
  cat >"${root}/etc/systemd/system.conf.d/docker-host-sandbox.conf" <<'EOF'
[Manager]
DefaultTimeoutStopSec=15s
EOF
  for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
    e2scrub_reap.service fstrim.timer systemd-networkd-wait-online.service; do
    run_in "${root}" systemctl mask "${unit}" >/dev/null 2>&1
  done
  install_cgroup_rw_unit "${root}"
  install_net_sysctl_rw_unit "${root}"
  run_in "${root}" systemctl enable docker.service containerd.service \
    docker-host-sandbox-cgroup-rw.service docker-host-sandbox-net-sysctl-rw.service >/dev/null 2>&1
  # Debian's Distribution registry is there for registry tests; it runs only when a test starts it.
  run_in "${root}" systemctl disable docker-registry.service >/dev/null 2>&1
  : >"${root}/etc/machine-id"
  rm -f "${root}/var/lib/dbus/machine-id"
  printf 'sandbox\n' >"${root}/etc/hostname"
  printf '# no entries: disks are mounted by systemd .mount units\n' >"${root}/etc/fstab"
}

# nspawn mounts the cgroup v1 controller hierarchies read-only (inside the
# container's cgroup namespace, so the root there is the host's own cgroup);
# runc must create cgroups in them, so make them writable before containerd.
install_cgroup_rw_unit() {
  local root="$1"
  cat >"${root}/usr/local/sbin/docker-host-sandbox-cgroup-rw" <<'EOF'
#!/bin/sh
# Remount read-only cgroup v1 hierarchies read-write (docker-host-sandbox).
set -eu
awk '{ i = 7; while ($i != "-") i++ }
     $(i + 1) == "cgroup" && $5 ~ "^/sys/fs/cgroup/" && $6 ~ /(^|,)ro(,|$)/ { print $5 }' \
  /proc/self/mountinfo | while read -r mnt; do
  mount -o remount,bind,rw "$mnt"
done
EOF
  chmod 0755 "${root}/usr/local/sbin/docker-host-sandbox-cgroup-rw"
  install_boot_unit "${root}" docker-host-sandbox-cgroup-rw \
    "Make cgroup v1 hierarchies writable for containerd/runc (sandbox)" \
    /usr/local/sbin/docker-host-sandbox-cgroup-rw
}

# nspawn mounts /proc/sys read-only, and from Engine 26 on dockerd fails a container's start when it cannot
# turn IPv6 off on the container's interface (Engine 26's DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE escape is gone
# in 28). /proc/sys/net holds only the settings of the guest's own network namespace, so that part is made
# writable, before containerd; the rest of /proc/sys stays read-only.
install_net_sysctl_rw_unit() {
  install_boot_unit "$1" docker-host-sandbox-net-sysctl-rw \
    "Make the network namespace's /proc/sys/net writable for dockerd (sandbox)" \
    "/bin/mount --bind /proc/sys/net /proc/sys/net" "/bin/mount -o remount,bind,rw /proc/sys/net"
}

# install_boot_unit ROOT NAME DESCRIPTION COMMAND... — the oneshot unit NAME.service, which runs each COMMAND
# (an ExecStart= line each) early in the guest's boot, before containerd and Docker. Enabled by the caller.
install_boot_unit() {
  local root="$1" name="$2" description="$3" command
  shift 3
  {
    printf '[Unit]\nDescription=%s\nDefaultDependencies=no\n' "${description}"
    printf 'Before=containerd.service docker.service sysinit.target\nConditionVirtualization=container\n\n'
    printf '[Service]\nType=oneshot\nRemainAfterExit=yes\n'
    for command in "$@"; do printf 'ExecStart=%s\n' "${command}"; done
    printf '\n[Install]\nWantedBy=sysinit.target\n'
  } >"${root}/etc/systemd/system/${name}.service"
}

# A busybox-only root filesystem tarball that `docker import` can load.
make_busybox_tarball() {
  local root="$1" stage
  stage="${root}/tmp/busybox-image"
  rm -rf "${stage}"
  mkdir -p "${stage}/bin" "${stage}/tmp" "${stage}/etc" "${stage}/data" \
    "${stage}/proc" "${stage}/sys" "${stage}/dev"
  cp "${root}/bin/busybox" "${stage}/bin/busybox"
  run_in "${root}" /bin/busybox --install -s /tmp/busybox-image/bin
  printf 'root:x:0:0:root:/:/bin/sh\n' >"${stage}/etc/passwd"
  printf 'root:x:0:\n' >"${stage}/etc/group"
  chmod 1777 "${stage}/tmp"
  mkdir -p "${root}${SHARE_DIR}"
  tar -C "${stage}" --numeric-owner --owner=0 --group=0 \
    -cf "${root}${SHARE_DIR}/busybox.tar" .
  rm -rf "${stage}"
}

main() {
  if [[ "${1:-}" == --engines ]]; then
    printf '%s\n' "${ENGINES[@]%%:*}"
    return 0
  fi
  if [[ $# -lt 1 || $# -gt 2 ]]; then
    log "usage: build-rootfs.sh TARGET_DIR [ENGINE]"
    exit 2
  fi
  local root="$1" engine="${2:-${ENGINES[0]%%:*}}"
  if ! engine_suite "${engine}" >/dev/null; then
    log "usage: unknown ENGINE '${engine}' (one of: ${ENGINES[*]%%:*})"
    exit 2
  fi
  [[ "${EUID}" -eq 0 ]] || die "must run as root"
  mkdir -p "${root}"
  do_debootstrap "${root}"
  install_engine "${root}" "${engine}"
  configure_apt "${root}"
  configure_users "${root}"
  configure_ssh "${root}"
  configure_systemd "${root}"
  make_busybox_tarball "${root}"
  log "rootfs configured in ${root}"
}

main "$@"
