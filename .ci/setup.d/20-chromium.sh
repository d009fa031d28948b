#!/usr/bin/env bash
# Chromium for the preview's browser tests (tests/test_browser.py drives it with Playwright through
# executable_path=/usr/bin/chromium): Debian's package, so no browser download from Playwright's CDN.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo ".ci/setup.d/20-chromium.sh: /usr/bin/chromium is already installed" >&2
  exit 0
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update
# Fonts: DejaVu covers Latin, Cyrillic and Arabic script (the Persian posts), Noto the emoji in posts.
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends chromium fonts-dejavu-core fonts-noto-color-emoji
if [ ! -x /usr/bin/chromium ]; then
  echo ".ci/setup.d/20-chromium.sh: apt-get installed chromium but /usr/bin/chromium is missing" >&2
  exit 1
fi
