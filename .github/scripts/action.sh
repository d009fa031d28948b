#!/usr/bin/env bash
# The shell steps of action.yml (postwright's GitHub Action), in one file so that shellcheck reads them
# and tests/test_install.py runs them.
#
#   action.sh install   a virtualenv in $RUNNER_TEMP with every dependency exactly as requirements.txt
#                       pins it (versions and hashes), then postwright from the action's checkout
#                       without resolving anything else (--no-deps), built by the pinned setuptools;
#                       its bin folder goes on $GITHUB_PATH for the later steps
#   action.sh run       postwright $COMMAND with $ARGS split into words as a shell would (quotes keep
#                       spaces together; nothing is expanded or run); writes exit-code=N to
#                       $GITHUB_OUTPUT and exits N
#
# From the environment: GITHUB_ACTION_PATH (the action's checkout), RUNNER_TEMP, GITHUB_PATH,
# GITHUB_OUTPUT (set by GitHub Actions); PYTHON, the interpreter to use; COMMAND and ARGS for run.
set -euo pipefail

install() {
  export UV_CACHE_DIR="${RUNNER_TEMP}/postwright-uv-cache"
  local venv="${RUNNER_TEMP}/postwright-venv" bin
  uv venv --quiet --python "${PYTHON}" "${venv}"
  bin="${venv}/bin"
  if [ -d "${venv}/Scripts" ]; then bin="${venv}/Scripts"; fi # Windows
  uv pip install --quiet --python "${bin}/python" --require-hashes -r "${GITHUB_ACTION_PATH}/requirements.txt"
  uv pip install --quiet --python "${bin}/python" --no-deps --no-build-isolation "${GITHUB_ACTION_PATH}"
  echo "${bin}" >>"${GITHUB_PATH}"
  "${bin}/postwright" --version
}

run() {
  local split="${RUNNER_TEMP}/postwright-arguments" code=0
  local -a arguments=()
  # shlex, not eval: $ARGS comes from the workflow (perhaps from an event), so it is only ever split.
  # Unbalanced quotes fail here, before postwright runs.
  "${PYTHON}" -I -c 'import os, shlex, sys
sys.stdout.write("".join(word + "\0" for word in shlex.split(os.environ.get("ARGS", ""))))' >"${split}"
  mapfile -d '' -t arguments <"${split}"
  postwright "${COMMAND:?the command input is empty}" ${arguments[@]+"${arguments[@]}"} || code=$?
  echo "exit-code=${code}" >>"${GITHUB_OUTPUT}"
  exit "${code}"
}

case "${1:-}" in
  install) install ;;
  run) run ;;
  *)
    echo "usage: action.sh install|run" >&2
    exit 2
    ;;
esac
