#!/usr/bin/env bash
# Installs the web UI's pinned build and test tools (webui/package-lock.json: Vite, TypeScript,
# Vitest, playwright-core) into webui/node_modules with `npm ci`; skipped when that lock file is
# already installed. This is the networked step; building (make) then works offline.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "webui: '$tool' not found; run scripts/setup.sh (installs nodejs and npm)" >&2
    exit 1
  fi
done
stamp=$here/node_modules/.hearth-installed-lock.json
if [ -d "$here/node_modules" ] && cmp -s "$here/package-lock.json" "$stamp"; then
  echo "webui: node_modules up to date"
  exit 0
fi
echo "webui: npm ci in $here"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
cp "$here/package-lock.json" "$stamp"
