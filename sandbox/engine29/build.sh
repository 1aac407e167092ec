#!/usr/bin/env bash
# build.sh — Docker Engine 29's dockerd and the runc it ships with, built from the Go modules pinned here, for
# the sandbox's Engine 29.5 hosts (Debian's mirror has no Engine 29; the Go module proxy serves both):
#   dockerd/  moby's github.com/moby/moby/v2; the Engine release is the one its releases/versions.yaml names;
#   runc/     github.com/opencontainers/runc at the release moby's Dockerfile names (RUNC_VERSION), checked.
# dockerd is built as its static builds are (no cgo: the btrfs, devicemapper and quota code left out); runc
# with seccomp (cgo, against libseccomp-dev), since Docker's default profile needs it.
#
# Usage: build.sh OUT_DIR   (writes OUT_DIR/dockerd and OUT_DIR/runc; prints the Engine release, e.g. 29.5.1)
# Needs: go, gcc, libseccomp-dev (scripts/setup.sh installs the last two). Exit codes: 0 built, 1 failed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE

die() { printf 'engine29/build.sh: error: %s\n' "$*" >&2; exit 1; }

# pinned MODULE_DIR MODULE — the version MODULE_DIR/go.mod requires of MODULE.
pinned() {
  local line
  while read -r line; do
    [[ "${line}" =~ ^(require[[:space:]]+)?"$2"[[:space:]]+(v[^[:space:]]+) ]] && { printf '%s' "${BASH_REMATCH[2]}"; return 0; }
  done <"$1/go.mod"
  die "$1/go.mod requires no $2"
}

# module_dir MODULE_DIR MODULE — where the Go module cache holds MODULE at MODULE_DIR's pin (downloaded if need be).
module_dir() { (cd "$1" && go mod download -json "$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'); }

main() {
  [[ $# -eq 1 ]] || { printf 'usage: build.sh OUT_DIR\n' >&2; exit 2; }
  local out="$1" moby moby_dir engine runc runc_wanted line
  command -v go >/dev/null || die "no go in PATH: install Go 1.26 or newer"
  [[ -f /usr/include/seccomp.h ]] || die "runc needs libseccomp's headers: apt-get install libseccomp-dev (scripts/setup.sh does)"
  mkdir -p "${out}"

  moby="$(pinned "${HERE}/dockerd" github.com/moby/moby/v2)"
  moby_dir="$(module_dir "${HERE}/dockerd" github.com/moby/moby/v2)"
  [[ -n "${moby_dir}" ]] || die "the Go module proxy did not give github.com/moby/moby/v2 ${moby}"
  engine=''
  while read -r line; do
    [[ "${line}" =~ ^current:[[:space:]]*\"?([0-9][^\"]*)\"?$ ]] && { engine="${BASH_REMATCH[1]}"; break; }
  done <"${moby_dir}/releases/versions.yaml"
  [[ -n "${engine}" ]] || die "no current: release in moby ${moby}'s releases/versions.yaml"

  runc="$(pinned "${HERE}/runc" github.com/opencontainers/runc)"
  runc_wanted=''
  while read -r line; do
    [[ "${line}" =~ ^ARG[[:space:]]+RUNC_VERSION=(v[^[:space:]]+)$ ]] && { runc_wanted="${BASH_REMATCH[1]}"; break; }
  done <"${moby_dir}/Dockerfile"
  [[ "${runc}" == "${runc_wanted}" ]] ||
    die "runc/go.mod pins runc ${runc}, but Engine ${engine} ships ${runc_wanted:-no RUNC_VERSION} (moby's Dockerfile): run 'go get github.com/opencontainers/runc@${runc_wanted}' in ${HERE}/runc"

  (cd "${HERE}/dockerd" && CGO_ENABLED=0 go build -trimpath \
    -tags 'exclude_graphdriver_btrfs exclude_graphdriver_devicemapper exclude_disk_quota' \
    -ldflags "-X github.com/moby/moby/v2/dockerversion.Version=${engine} -X github.com/moby/moby/v2/dockerversion.GitCommit=moby-${moby}" \
    -o "${out}/dockerd" github.com/moby/moby/v2/cmd/dockerd) || die "building dockerd ${engine} failed"
  (cd "${HERE}/runc" && CGO_ENABLED=1 go build -trimpath -tags 'seccomp urfave_cli_no_docs' \
    -ldflags "-X main.version=${runc#v}" -o "${out}/runc" github.com/opencontainers/runc) || die "building runc ${runc} failed"
  printf '%s\n' "${engine}"
}

main "$@"
