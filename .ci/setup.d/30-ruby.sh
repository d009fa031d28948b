#!/usr/bin/env bash
# Ruby for tests/test_graphemes.py: String#each_grapheme_cluster is Mastodon's own count
# (StatusLengthValidator), so the test compares our Mastodon count with Ruby's on random text. Debian's
# package; Debian 12's ruby 3.1 segments with Unicode 13.0 (Mastodon's Ruby 3.4: 15.0), which has the same
# grapheme rules (both before the conjunct rule GB9c of 15.1); the test says which version it ran against.
set -euo pipefail
if command -v ruby >/dev/null; then
  echo ".ci/setup.d/30-ruby.sh: $(ruby --version) is already installed" >&2
  exit 0
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends ruby
if ! command -v ruby >/dev/null; then
  echo ".ci/setup.d/30-ruby.sh: apt-get installed ruby but there is no ruby on PATH" >&2
  exit 1
fi
