#!/usr/bin/env bash
# Runs the web UI tests: type check, Vitest unit tests (UI logic, mocked fetch), then the
# Playwright end-to-end tests in Debian's Chromium against BUILD_DIR/bin/hearth serve.
# Screenshots go to BUILD_DIR/ui-screenshots (failures: failure-<test>.png).
#   bash tests/webui/run.sh [BUILD_DIR]      (default: build)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
if [ ! -x "$root/webui/node_modules/.bin/vitest" ]; then
  echo "webui tests: webui/node_modules missing; run 'make webui-deps' (npm ci) first" >&2
  exit 1
fi
export HEARTH_SHARED=${HEARTH_SHARED:-$root/../shared}
export HEARTH_BIN=${HEARTH_BIN:-$build/bin/hearth}
export HEARTH_SCREENSHOTS=${HEARTH_SCREENSHOTS:-$build/ui-screenshots}
cd "$root/webui"
echo "webui: type check"
node_modules/.bin/tsc --noEmit -p tsconfig.json
echo "webui: unit tests"
node_modules/.bin/vitest run --reporter=dot
echo "webui: end-to-end tests (Chromium, screenshots in $HEARTH_SCREENSHOTS)"
rm -rf "$HEARTH_SCREENSHOTS"
node --test --test-reporter=spec --test-timeout=180000 "$here"/e2e/*.test.mjs
