#!/usr/bin/env bash
# The local Bluesky PDS for tests/test_publisher_bluesky.py: `npm ci` of tests/pds (exact versions in
# package.json, pinned by package-lock.json) into tests/pds/node_modules. better-sqlite3 compiles from
# source (gcc, g++, make, python3; about a minute), so build tools are installed where missing. Skips
# the install when node_modules already matches the lock file; fails loudly when anything is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/pds
stamp=$here/node_modules/.postwright-lock.sha256
say() { echo ".ci/setup.d/10-pds.sh: $*" >&2; }

sudo=()
if [ "$(id -u)" != 0 ]; then
  sudo=(sudo)
fi
missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
for tool in gcc g++ make python3; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  packages=()
  for tool in "${missing[@]}"; do
    case $tool in
      gcc | g++ | make) packages+=(build-essential) ;;
      *) packages+=("$tool") ;;
    esac
  done
  say "installing ${packages[*]} (missing: ${missing[*]})"
  "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${packages[@]}"
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  say "node $(node --version) is too old: @atproto/pds 0.4.217 needs node >= 18.7 (0.5.x would need 22)"
  exit 1
fi

want=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
  && (cd "$here" && node -e "require('better-sqlite3'); require('@atproto/pds'); require('@did-plc/server')") 2>/dev/null; then
  say "tests/pds/node_modules is installed and matches package-lock.json"
  exit 0
fi

# Build native modules against the installed node's headers instead of downloading them, and skip
# better-sqlite3's attempt to download a prebuilt binary: only the package registry is reachable.
if [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi
export npm_config_build_from_source=true
start=$(date +%s)
npm ci --prefix "$here" --no-audit --no-fund --loglevel=error
(cd "$here" && node -e "require('better-sqlite3'); require('@atproto/pds'); require('@did-plc/server')") || {
  say "npm ci finished but the PDS modules do not load (better-sqlite3 did not build?)"
  exit 1
}
echo "$want" >"$stamp"
say "installed tests/pds/node_modules in $(($(date +%s) - start)) s"
