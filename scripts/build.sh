#!/usr/bin/env bash
# build.sh — compile the library for the npm package: components/ → dist/components (CommonJS + .d.ts),
# then copy the host scripts next to the compiled remoteCommand.js, which uploads them from its own
# directory (__dirname/scripts). dist/ is never committed. It is the "prepare" script: `npm ci`, `npm install`
# in a checkout (which Pulumi runs for a source-based plugin) and `npm pack` run it, so a tarball always
# holds a fresh build.
#
# Usage: scripts/build.sh        (npm run build)
# Exit codes: 0 built; 1 the compile failed.
set -euo pipefail

main() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  rm -rf dist
  node_modules/.bin/tsc -p tsconfig.build.json
  cp -R components/dockerHost/scripts dist/components/dockerHost/scripts
}

main "$@"
