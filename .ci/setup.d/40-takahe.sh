#!/usr/bin/env bash
# Takahē 0.11.0 for tests/test_publisher_takahe.py: a real server with Mastodon's client API, read in
# place from ../shared/servers (start_takahe.sh). It needs PostgreSQL (Debian's postgresql package), which
# is installed where missing. The first run makes Takahē's virtualenv under $REALPEERS_HOME (pip, about
# 80 s) and a migrated PostgreSQL cluster (about 35 s), which is kept, stopped, as the template each test
# session copies (tests/takahe_server.py). Skips what is already there; fails loudly when anything is
# missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
servers=../shared/servers
home=${REALPEERS_HOME:-$HOME/.cache/realpeers}
template=${POSTWRIGHT_TAKAHE_TEMPLATE:-/var/tmp/postwright-takahe-pg}
say() { echo ".ci/setup.d/40-takahe.sh: $*" >&2; }

if [ ! -f "$servers/start_takahe.sh" ]; then
  say "$servers/start_takahe.sh is missing: the Takahē tests read it from ../shared/servers"
  exit 1
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  sudo=(sudo)
fi
if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  say "installing postgresql"
  "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends postgresql
fi
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  say "installing python3-venv (start_takahe.sh makes a virtualenv)"
  "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends python3-venv
fi

if [ -f "$home/takahe-venv/.installed" ] && [ -f "$template/ready" ]; then
  say "Takahē's virtualenv and the migrated template in $template are there"
  exit 0
fi

# The first run, on a free port, into the template folder; then stopped, leaving the cluster on disk.
start=$(date +%s)
rm -rf "$template"
mkdir -p "$template"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export REALPEERS_HOME=$home TAKAHE_PORT=$port TAKAHE_PG_DIR=$template
stop() { bash "$servers/start_takahe.sh" stop >/dev/null || true; rm -rf "$home/takahe-state-$port"; }
trap stop EXIT
bash "$servers/start_takahe.sh" >/dev/null
stop
trap - EXIT
touch "$template/ready"
say "set up Takahē and its template in $(($(date +%s) - start)) s"
