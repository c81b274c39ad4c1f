#!/usr/bin/env bash
# Installs the pinned official client packages (openai, ollama) of tests/server/package-lock.json
# into BUILD_DIR/npm-server with `npm ci`, for the server integration tests
# (tests/server/test_clients.cpp finds them there, or at $HEARTH_NPM_SERVER).
#   bash tests/server/setup_clients.sh [BUILD_DIR]      (default: build)
# Skipped when that lock file is already installed. The only networked step; tests never are.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
mkdir -p "$build"
build=$(cd "$build" && pwd)
npm_dir=$build/npm-server
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "server-clients: '$tool' not found; run scripts/setup.sh (installs nodejs and npm)" >&2
    exit 1
  fi
done
mkdir -p "$npm_dir"
stamp=$npm_dir/.installed-package-lock.json
if [ ! -d "$npm_dir/node_modules" ] || ! cmp -s "$here/package-lock.json" "$stamp"; then
  echo "server-clients: npm ci into $npm_dir"
  rm -f "$stamp"
  cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
  (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$here/package-lock.json" "$stamp"
fi
