#!/usr/bin/env bash
# test.sh — every test: the stand-in command provider's go tests, unit tests (renderers, validators, plan,
# component wiring under mocks), host
# tests (the component's real scripts over real SSH on disposable sandbox hosts) and engine tests (the
# real Pulumi engine, built offline by scripts/engine.sh, driving the component against sandbox hosts).
# Host and engine tests need root. The host tests run once more on each other Docker Engine the sandbox offers
# (sandbox/build-rootfs.sh --engines lists them, the default first); on the newest, so do the engine tests that
# boot sandbox hosts (those that import the host harness).
# Installs what it needs first (scripts/setup.sh, the sandbox rootfs), and checks afterwards that no
# loop device, network namespace or sandbox process was left behind.
#
# Usage: scripts/test.sh            (npm test)
# Environment: DOCKER_HOST_SKIP_HOST_TESTS=1 runs the unit tests only.
# Exit codes: 0 all passed; 1 a test failed or something was left behind.
set -euo pipefail

log() { printf 'test: %s\n' "$*" >&2; }

leftovers() {
  { losetup -a 2>/dev/null | grep docker-host-sandbox || true
    ip netns list 2>/dev/null | grep '^dhs-' || true
    pgrep -a systemd-nspawn 2>/dev/null | grep docker-host-sandbox || true; } | sort
}

main() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  scripts/setup.sh
  node_modules/.bin/tsc -p . # the program and the tests type-check (strict)
  # The stand-in command provider against upstream's published behaviour (per-property table, SSH server).
  (cd engine/pulumi-resource-command && go test -count=1 ./...)
  local files=(tests/unit/*.test.ts) status=0 before after engine engines other_engines=() on_hosts=() engine_tests
  if [ "${DOCKER_HOST_SKIP_HOST_TESTS:-}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
    # Read whole first: a recipe that fails to list its Engines stops the run instead of skipping their passes.
    engines=$(sandbox/build-rootfs.sh --engines)
    mapfile -t other_engines < <(tail -n +2 <<<"$engines")
    sandbox/sandbox build >&2
    for engine in "${other_engines[@]}"; do sandbox/sandbox build --engine "$engine" >&2; done
    # Once, before the engine tests start in parallel: each would otherwise build a cold engine itself.
    scripts/engine.sh --languages >/dev/null
    files+=(tests/host/*.test.ts tests/engine/*.test.ts)
  else
    log "host tests skipped (they need root; DOCKER_HOST_SKIP_HOST_TESTS=${DOCKER_HOST_SKIP_HOST_TESTS:-unset})"
  fi
  before=$(leftovers)
  node --import tsx --test --test-concurrency=4 --test-timeout=900000 "${files[@]}" || status=$?
  # After the first run, not beside it: the host tests' hosts have fixed names.
  for engine in "${other_engines[@]}"; do
    on_hosts=(tests/host/*.test.ts)
    if [ "$engine" = "${other_engines[-1]}" ]; then
      # Read whole first: grep finding none stops the run instead of leaving the engine tests out unnoticed.
      engine_tests=$(grep -l 'from "\.\./host/harness"' tests/engine/*.test.ts)
      mapfile -t -O "${#on_hosts[@]}" on_hosts <<<"$engine_tests"
      log "the host tests and the engine tests on hosts again, on Docker Engine $engine"
    else
      log "the host tests again, on Docker Engine $engine"
    fi
    DOCKER_HOST_TEST_ENGINE=$engine node --import tsx --test --test-concurrency=4 --test-timeout=900000 "${on_hosts[@]}" || status=$?
  done
  after=$(leftovers)
  if [ "$after" != "$before" ]; then
    log "left behind after the tests:"
    printf '%s\n' "$after" >&2
    sandbox/sandbox down --all >&2 || true
    status=1
  fi
  return "$status"
}

main "$@"
