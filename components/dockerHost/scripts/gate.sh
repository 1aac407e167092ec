#!/usr/bin/env bash
# gate.sh — refuse a host before anything changes on it: dockerd must be installed and running, new enough
# for every daemon.json key the plan will write (a dockerd refuses to start on a key it does not know, and
# Debian 12's 20.10 has no --validate to say so beforehand), the kernel must support overlay, and Docker
# must already use the required storage driver (switching drivers hides every existing image and
# container, so that is never done silently) — except a containerd image store that holds nothing (a fresh
# Engine 29 install), which the apply step's restart turns off. Read-only.
#
# stdin:  REQUIRED_STORAGE_DRIVER=overlay2
#         ENGINE_REQUIREMENTS=allow-direct-routing@28.2.0 firewall-backend@29.0.0
#           (daemon.json keys newer than Engine 20.10, each with the release that introduced it, one space
#           apart; empty when there are none. daemonKeys.ts: formatEngineRequirements)
# stdout: {"storageDriver":…,"backingFilesystem":…,"serverVersion":…}
# exit:   0 the host may be configured; 1 refused (the reason on stderr).
# shellcheck source-path=SCRIPTDIR
DH_STEP=gate
# shellcheck source=lib.sh
source "${BASH_SOURCE[0]%/*}/lib.sh"

# version_triple VERSION — "MAJOR MINOR PATCH" of a dockerd version: 20.10.24+dfsg1, 28.0.1, 24.0.7-0ubuntu4
# (what follows the numbers is ignored, so a release candidate counts as its release). Fails for anything
# else, e.g. a development build's "dev".
version_triple() {
  [[ $1 =~ ^v?([0-9]{1,9})\.([0-9]{1,9})(\.([0-9]{1,9}))? ]] || return 1
  printf '%d %d %d\n' "$((10#${BASH_REMATCH[1]}))" "$((10#${BASH_REMATCH[2]}))" "$((10#${BASH_REMATCH[4]:-0}))"
}

# version_at_least HAVE WANT — true when version HAVE is WANT or newer (both readable by version_triple).
version_at_least() {
  local -a have want
  local i
  read -r -a have <<<"$(version_triple "$1")"
  read -r -a want <<<"$(version_triple "$2")"
  for i in 0 1 2; do
    if ((have[i] != want[i])); then
      ((have[i] > want[i]))
      return
    fi
  done
}

# check_engine VERSION REQUIREMENTS — refuse, naming every key this dockerd is too old for, the release that
# introduced each and the newest of them.
check_engine() {
  local version=$1 word key since missing='' count=0 newest=''
  local -a words
  read -r -a words <<<"$2"
  ((${#words[@]} > 0)) || return 0
  for word in "${words[@]}"; do
    [[ $word =~ ^([a-z0-9][a-z0-9-]*)@([0-9]+\.[0-9]+\.[0-9]+)$ ]] \
      || die "malformed ENGINE_REQUIREMENTS word '$word' (expected key@major.minor.patch); nothing was changed."
    key=${BASH_REMATCH[1]} since=${BASH_REMATCH[2]}
    version_triple "$version" >/dev/null \
      || die "cannot tell which daemon.json keys Docker Engine '$version' knows (not a release version), and '$key' needs Engine $since or later; nothing was changed. Fix: run a released Docker Engine, or remove '$key' from daemon.extra."
    if ! version_at_least "$version" "$since"; then
      missing+="${missing:+, }'$key' (introduced in Engine $since)"
      count=$((count + 1))
      if [ -z "$newest" ] || version_at_least "$since" "$newest"; then newest=$since; fi
    fi
  done
  if ((count == 1)); then
    die "Docker Engine $version on this host does not know the daemon.json key $missing; dockerd refuses to start on a key it does not know, so nothing was changed. Fix: upgrade Docker Engine on this host to $newest or later, or remove the key from daemon.extra."
  elif ((count > 1)); then
    die "Docker Engine $version on this host does not know the daemon.json keys $missing; dockerd refuses to start on a key it does not know, so nothing was changed. Fix: upgrade Docker Engine on this host to $newest or later, or remove those keys from daemon.extra."
  fi
}

# check_containerd_store ROOT REQUIRED — when Docker keeps images in containerd's snapshotters (the
# containerd image store, Engine 24 on; the default of fresh installs from 29) instead of a graph driver
# under data-root: pass when the store holds no image and no container, else refuse, saying what it holds.
# The apply step's daemon.json names storage driver REQUIRED (a graph driver) and never turns the store on
# (validate/daemon.ts), and dockerd then starts on that driver, so its restart turns the store off: an empty
# store hides nothing. Returns 1 when Docker does not use the store (the caller's refusal).
check_containerd_store() {
  local root=$1 required=$2
  containerd_store_contents || return 1
  if ((STORE_IMAGES == 0 && STORE_CONTAINERS == 0)); then
    log "Docker uses the containerd image store, which holds no image and no container (a fresh install): the apply step's restart turns it off, starting Docker on storage driver '$required'"
    return 0
  fi
  die "Docker uses the containerd image store (storage driver '$DOCKER_DRIVER'; a fresh Engine 29 install's default), which holds $STORE_IMAGES image(s) and $STORE_CONTAINERS container(s): containerd keeps them in its own root, outside data-root ($root), and Docker on storage driver '$required', which docker-host configures and moves, would no longer see them; nothing was changed. Fix: keep what you need (docker save the images to docker load them after, note how the containers were run), remove the containers and images (docker rm -f, docker image prune -a) and re-run: docker-host turns an empty store off itself. Or turn the store off yourself, setting \"features\": {\"containerd-snapshotter\": false} in $DH_DAEMON_JSON and restarting Docker (what it holds stays with containerd, unseen)."
}

main() {
  read_params REQUIRED_STORAGE_DRIVER ENGINE_REQUIREMENTS
  local required=$P_REQUIRED_STORAGE_DRIVER driver root backing version

  have dockerd || die "dockerd is not installed. Fix: install Docker (Debian: apt-get install docker.io) and re-run."
  have systemctl || die "systemd is required (no systemctl found)."
  if [ "$required" = overlay2 ] && ! grep -qw overlay /proc/filesystems; then
    modprobe overlay 2>/dev/null || true
    grep -qw overlay /proc/filesystems \
      || die "the kernel has no overlay filesystem support, which storage driver overlay2 needs. Fix: load the overlay module (modprobe overlay) or use a kernel that has it."
  fi
  read_docker_info || die "dockerd is not answering (systemctl status docker). Fix: start Docker and make sure 'docker info' works as root, then re-run."
  version=$DOCKER_VERSION driver=$DOCKER_DRIVER root=$DOCKER_ROOT
  check_engine "$version" "$P_ENGINE_REQUIREMENTS"

  backing=$(findmnt -n -o FSTYPE --target "$root" 2>/dev/null || stat -f -c %T "$root" 2>/dev/null || echo unknown)
  if [ "$driver" != "$required" ] && ! check_containerd_store "$root" "$required"; then
    die "Docker uses storage driver '$driver' on a '$backing' filesystem ($root), not '$required'. Changing the driver would hide every existing image and container, so nothing was changed. Fix: move this host to '$required' by hand (its images must be re-pulled or exported and imported), or, if '$driver' is intended (btrfs, zfs or fuse-overlayfs), set daemon.storageDriver to it."
  fi
  log "ok: Docker $version, storage driver $driver on $backing"
  printf '{"storageDriver":%s,"backingFilesystem":%s,"serverVersion":%s}\n' \
    "$(json_escape "$driver")" "$(json_escape "$backing")" "$(json_escape "$version")"
}

main "$@"
