#!/usr/bin/env bash
# Installs the Debian packages hearth needs to build, test and benchmark. Idempotent:
# packages already present are skipped, so a second run does no network work.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang lld
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libcpp-httplib-dev
  libsodium-dev libcurl4-openssl-dev libedit-dev libpcre2-dev
)
# Node.js and npm run the chat-template reference renderer (tests/chat/setup_reference.sh).
# A Node.js installed another way (e.g. a package that bundles npm) is used as it is.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
# Chromium runs the web UI's end-to-end tests (driven by playwright-core from webui/node_modules).
packages+=(chromium)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
