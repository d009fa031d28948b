#!/usr/bin/env bash
# The shell steps of .github/workflows/publish.yml, in one file so that tests/test_workflows.py can run
# them against a bare repository on disk standing in for GitHub.
#
#   publish.sh restore   bring the checkout to the newest commit of its branch (a run that waited in
#                        the queue was checked out at an older one, with an older ledger); in
#                        STATE_BRANCH mode, then put that branch's state/ into the working tree
#   publish.sh run       postwright publish (after postwright doctor when DOCTOR is true); publish's exit
#                        code goes to $GITHUB_OUTPUT as exit-code=N, and this step itself always
#                        succeeds, so the ledger is committed whatever happened
#   publish.sh commit    commit state/ and push it; when the branch moved, pull --rebase and try again
#   publish.sh merge-ledger BASE CURRENT OTHER
#                        the git merge driver `commit` uses for state/*.jsonl: keeps both sides' new lines
#
# Settings, all optional, from the environment:
#   STATE_BRANCH    branch that holds state/ and that only this workflow writes; empty: the branch that
#                   is checked out (the ledger is committed next to the content)
#   STATE_DIR       the ledger's folder (default: state)
#   GIT_REMOTE      default: origin
#   PUSH_ATTEMPTS   pushes before giving up (default: 5)
#   PUSH_BACKOFF    seconds to wait after the first rejected push, doubled after each (default: 2)
#   GIT_TOKEN       token for an https remote (the workflow passes github.token); it is handed to git
#                   through the environment and never written to .git/config
#   POSTWRIGHT      the postwright command, split on spaces (default: postwright)
#   COMMIT_MESSAGE  what `commit` calls its commit (default: postwright: ledger after publish run N);
#                   the metrics job commits state/metrics/ with the same step
#   PUBLISH_AT, PUBLISH_ONLY, PUBLISH_DRY_RUN (true/false): postwright publish --at, --only, --dry-run
#   DOCTOR          true: run `postwright doctor --format github` before publishing; what it finds
#                   (credentials missing, rejected or expiring within two weeks) becomes warnings in
#                   the run and a line in its summary, never a reason not to publish
#   DOCTOR_HOUR     the UTC hour (0-23, default 6) whose runs ask the platforms whether the tokens
#                   work and when they expire; other runs only check that they are set (--offline)
#   GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_RUN_ID, GITHUB_EVENT_NAME: set by GitHub Actions
set -euo pipefail

STATE_DIR=${STATE_DIR:-state}
STATE_BRANCH=${STATE_BRANCH:-}
REMOTE=${GIT_REMOTE:-origin}
ATTEMPTS=${PUSH_ATTEMPTS:-5}
BACKOFF=${PUSH_BACKOFF:-2}
BASE_REF=refs/postwright/state-base # restore: the state branch's commit that state/ came from
SCRIPT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
WORK=""
WORKTREE=""

say() { printf '%s\n' "$*" >&2; }

summary() {
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then printf '%s\n' "$@" >>"$GITHUB_STEP_SUMMARY"; fi
}

die() {
  say "publish.sh: $*"
  if [ "${GITHUB_ACTIONS:-}" = true ]; then echo "::error title=postwright ledger::$*"; fi
  summary "" "**Ledger:** $*"
  exit 1
}

cleanup() {
  if [ -n "$WORKTREE" ]; then git worktree remove --force "$WORKTREE" 2>/dev/null || true; fi
  if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
}

# git configuration for this script's git commands only, through GIT_CONFIG_COUNT (git >= 2.31):
# the ledger merge driver, and the token for https remotes, which thus never reaches .git/config.
configure_git() {
  WORK=$(mktemp -d)
  trap cleanup EXIT
  printf '%s/*.jsonl merge=postwright-ledger\n' "$STATE_DIR" >"$WORK/attributes"
  local -a keys=(
    core.attributesFile
    merge.postwright-ledger.name
    merge.postwright-ledger.driver
  )
  local -a values=(
    "$WORK/attributes"
    "postwright ledger: keep the records both sides appended"
    "bash '$SCRIPT' merge-ledger %O %A %B"
  )
  if [ -n "${GIT_TOKEN:-}" ]; then
    local basic
    basic=$(printf 'x-access-token:%s' "$GIT_TOKEN" | base64 | tr -d '\n')
    if [ "${GITHUB_ACTIONS:-}" = true ]; then echo "::add-mask::$basic"; fi
    keys+=("http.${GITHUB_SERVER_URL:-https://github.com}/.extraheader")
    values+=("AUTHORIZATION: basic $basic")
  fi
  local offset=${GIT_CONFIG_COUNT:-0} i
  for i in "${!keys[@]}"; do
    export "GIT_CONFIG_KEY_$((offset + i))=${keys[$i]}" "GIT_CONFIG_VALUE_$((offset + i))=${values[$i]}"
  done
  export GIT_CONFIG_COUNT=$((offset + ${#keys[@]}))
  # Commits are made by the Actions bot unless git already knows who is committing.
  if [ -z "$(git config user.name || true)" ]; then
    export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-github-actions[bot]}
    export GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-github-actions[bot]}
  fi
  if [ -z "$(git config user.email || true)" ]; then
    local bot='41898282+github-actions[bot]@users.noreply.github.com'
    export GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-$bot}
    export GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-$bot}
  fi
}

# catch_up: move the checkout to the newest commit of its branch. GitHub checks a run out at the commit
# its branch had when the run was queued; a run that waited in the concurrency group behind another
# would otherwise publish from the ledger (and content, and config.yml) of before that run. Only a
# fast-forward is taken: a branch rewritten since the checkout, or a remote that cannot be read, stops
# the run, because publishing from a ledger that may be stale could send posts again.
catch_up() {
  local branch tip="refs/postwright/branch-tip" code=0
  branch=$(git symbolic-ref --quiet --short HEAD) ||
    die "HEAD is detached: run on a branch, so that the newest ledger can be fetched"
  git fetch --quiet --no-tags "$REMOTE" "+refs/heads/$branch:$tip" || code=$?
  if [ "$code" != 0 ]; then
    die "cannot fetch $branch from $REMOTE (git fetch exited $code): not publishing from a ledger that may be stale"
  fi
  if [ "$(git rev-parse HEAD)" = "$(git rev-parse "$tip")" ]; then
    say "the checkout is the newest commit of $branch"
  elif git merge-base --is-ancestor HEAD "$tip"; then
    git merge --quiet --ff-only "$tip"
    say "$branch moved since this run was queued: now at $(git rev-parse --short HEAD), with its newest ledger"
  elif git merge-base --is-ancestor "$tip" HEAD; then
    die "the checkout has commits that $REMOTE/$branch does not: push them before publishing"
  else
    die "$branch was rewritten since this run was checked out: not publishing from a ledger that may be stale"
  fi
}

# restore: catch_up (in both modes); then, in STATE_BRANCH mode, replace state/ in the working tree by
# that branch's, and remember the commit it came from (BASE_REF) for `commit`. A branch that does not
# exist yet starts from the state/ of the checkout, if any. Any other failure to read the remote stops
# the run: publishing without the ledger would send everything again.
restore_state() {
  cd "$(git rev-parse --show-toplevel)"
  configure_git
  catch_up
  if [ -z "$STATE_BRANCH" ]; then
    say "the ledger is kept on the checked-out branch, in $STATE_DIR/"
    return 0
  fi
  local found=0
  git ls-remote --exit-code --heads "$REMOTE" "refs/heads/$STATE_BRANCH" >/dev/null || found=$?
  if [ "$found" = 0 ]; then
    git fetch --quiet --no-tags "$REMOTE" "+refs/heads/$STATE_BRANCH:$BASE_REF"
    rm -rf "./${STATE_DIR:?}"
    if git cat-file -e "$BASE_REF:$STATE_DIR" 2>/dev/null; then
      git archive --format=tar "$BASE_REF" -- "$STATE_DIR" | tar -xf -
    fi
    say "restored $STATE_DIR/ from $STATE_BRANCH at $(git rev-parse --short "$BASE_REF")"
  elif [ "$found" = 2 ]; then
    # A parentless commit with nothing in it: `commit` builds the branch's first commit in its place.
    local empty
    empty=$(git hash-object -t tree -w /dev/null)
    git update-ref "$BASE_REF" "$(git commit-tree -m "postwright state" "$empty")"
    say "$STATE_BRANCH does not exist yet: the first run creates it from $STATE_DIR/ as checked out"
  else
    die "cannot read $STATE_BRANCH from $REMOTE (git ls-remote exited $found): not publishing without the ledger"
  fi
}

# run: postwright publish with the workflow's inputs. Exit 0 whatever postwright said: the workflow's
# last step fails the run on the exit code written to $GITHUB_OUTPUT, after the ledger is committed.
run_publish() {
  local -a command args=(publish)
  read -r -a command <<<"${POSTWRIGHT:-postwright}"
  case "${DOCTOR:-false}" in true | 1 | yes) run_doctor "${command[@]}" ;; esac
  if [ -n "${PUBLISH_AT:-}" ]; then args+=(--at "$PUBLISH_AT"); fi
  if [ -n "${PUBLISH_ONLY:-}" ]; then args+=(--only "$PUBLISH_ONLY"); fi
  case "${PUBLISH_DRY_RUN:-false}" in true | 1 | yes) args+=(--dry-run) ;; esac
  local code=0
  "${command[@]}" "${args[@]}" || code=$?
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "exit-code=$code" >>"$GITHUB_OUTPUT"; fi
  case "$code" in
    0) ;;
    1) summary "" "**postwright publish exited 1:** some content is invalid; it was not sent, the rest was." ;;
    3) summary "" "**postwright publish exited 3:** some sends failed (see above); what was sent is recorded." ;;
    *) summary "" "**postwright publish exited $code.** The ledger is committed all the same." ;;
  esac
  say "postwright publish exited $code"
}

# run_doctor COMMAND...: postwright doctor, reported and otherwise ignored: an account whose token is
# missing or rejected fails on its own, and the other accounts are still published. Asking the
# platforms costs API calls (some allow only a few a day), so only the runs of DOCTOR_HOUR and manual
# runs do; the others check that each secret is set.
run_doctor() {
  local -a args=(doctor --format github)
  local hour
  hour=$(date -u +%H)
  hour=${hour#0}
  if [ "${GITHUB_EVENT_NAME:-}" != workflow_dispatch ] && [ "$hour" != "${DOCTOR_HOUR:-6}" ]; then
    args+=(--offline)
  fi
  local code=0
  "$@" "${args[@]}" || code=$?
  case "$code" in
    0) ;;
    1) summary "" "**postwright doctor:** some accounts' credentials are missing or rejected (see the" \
      "annotations); their posts fail until that is fixed, the other accounts' are published." ;;
    *) summary "" "**postwright doctor exited $code** (a postwright without doctor?); publishing went on." ;;
  esac
  say "postwright doctor exited $code"
}

# merge-ledger BASE CURRENT OTHER (git's %O %A %B): a ledger is only ever appended to, so the merge of
# two versions is one of them plus the records the other appended to the common base. The result goes
# into CURRENT. In a rebase CURRENT is the upstream branch and OTHER the commit being replayed.
merge_ledger() {
  local base=$1 current=$2 other=$3 size
  size=$(wc -c <"$base")
  if head -c "$size" "$other" | cmp -s - "$base"; then
    if [ -s "$current" ] && [ -n "$(tail -c 1 "$current")" ]; then printf '\n' >>"$current"; fi
    tail -c "+$((size + 1))" "$other" >>"$current"
  elif head -c "$size" "$current" | cmp -s - "$base"; then
    local merged="$current.merged"
    cat "$other" >"$merged"
    if [ -s "$merged" ] && [ -n "$(tail -c 1 "$merged")" ]; then printf '\n' >>"$merged"; fi
    tail -c "+$((size + 1))" "$current" >>"$merged"
    mv "$merged" "$current"
  else
    say "publish.sh: both sides rewrote the ledger (not only appended to it): merge it by hand"
    return 1
  fi
}

rebasing() {
  [ -d "$(git -C "$1" rev-parse --git-path rebase-merge)" ] || [ -d "$(git -C "$1" rev-parse --git-path rebase-apply)" ]
}

# push_with_retry REPO BRANCH: push HEAD; when the push is rejected because the branch moved, pull
# --rebase (ledger conflicts resolved by merge-ledger) and try again, PUSH_ATTEMPTS times in all.
push_with_retry() {
  local repo=$1 branch=$2 attempt=1 wait out
  while :; do
    if out=$(git -C "$repo" push "$REMOTE" "HEAD:refs/heads/$branch" 2>&1); then
      return 0
    fi
    say "$out"
    if grep -qiE 'protected branch|GH006|GH013' <<<"$out"; then
      say "publish.sh: $branch is protected; keep the ledger on a branch of its own (STATE_BRANCH)"
      return 1
    fi
    if [ "$attempt" -ge "$ATTEMPTS" ]; then return 1; fi
    wait=$((BACKOFF * (1 << (attempt - 1))))
    if [ "$BACKOFF" -gt 0 ]; then wait=$((wait + RANDOM % (BACKOFF + 1))); fi
    say "push $attempt of $ATTEMPTS rejected: pulling $branch with --rebase, next push in ${wait}s"
    sleep "$wait"
    if ! git -C "$repo" pull --quiet --rebase --autostash --no-tags "$REMOTE" "$branch"; then
      if rebasing "$repo"; then
        git -C "$repo" rebase --abort || true
        say "publish.sh: the ledger could not be rebased onto $branch"
        return 1
      fi
    fi
    attempt=$((attempt + 1))
  done
}

# commit: one commit with what changed in state/ (never the lock file), pushed to the ledger's branch.
commit_state() {
  local top repo branch
  top=$(git rev-parse --show-toplevel)
  cd "$top"
  configure_git
  local -a amend=()
  if [ -n "$STATE_BRANCH" ]; then
    branch=$STATE_BRANCH
    local base
    base=$(git rev-parse --quiet --verify "$BASE_REF^{commit}") ||
      die "no $BASE_REF: run 'publish.sh restore' before publishing when STATE_BRANCH is set"
    # The branch holds only state/: build its next commit in a worktree of its own.
    WORKTREE=$WORK/state-branch
    git worktree add --quiet --detach "$WORKTREE" "$base"
    if [ -z "$(git rev-list --parents -n 1 "$base" | cut -s -d ' ' -f 2)" ] &&
      [ -z "$(git ls-tree "$base")" ]; then
      amend=(--amend) # the placeholder from restore: the branch's first commit has no parent
    fi
    rm -rf "${WORKTREE:?}/$STATE_DIR"
    if [ -d "$STATE_DIR" ]; then
      mkdir -p "$(dirname "$WORKTREE/$STATE_DIR")"
      cp -R "$STATE_DIR" "$WORKTREE/$STATE_DIR"
    fi
    repo=$WORKTREE
  else
    branch=$(git symbolic-ref --quiet --short HEAD) ||
      die "HEAD is detached: run on a branch, or set STATE_BRANCH"
    repo=$top
  fi
  # The lock file only matters while postwright runs; it is never committed.
  if [ -d "$repo/$STATE_DIR" ]; then
    git -C "$repo" add --all -- "$STATE_DIR" ":(exclude,glob)$STATE_DIR/**/*.lock"
  fi
  if git -C "$repo" diff --cached --quiet; then
    say "the ledger has no new records: nothing to commit"
    summary "" "**Ledger:** no new records."
    return 0
  fi
  git -C "$repo" commit --quiet ${amend[@]+"${amend[@]}"} \
    -m "${COMMIT_MESSAGE:-postwright: ledger after publish run} ${GITHUB_RUN_ID:-(local)}"
  if ! push_with_retry "$repo" "$branch"; then
    local records
    records=$(git -C "$repo" show --format= HEAD -- "$STATE_DIR")
    say "$records"
    summary "" "These ledger changes are **not** in the repository. Until someone adds them to" \
      "$STATE_DIR/ on $branch, the next run cannot know these posts were sent:" "" '```diff' "$records" '```'
    die "could not push $STATE_DIR/ to $branch"
  fi
  if [ -n "$STATE_BRANCH" ]; then
    # The next `commit` of this job (the numbers after the ledger) builds on what was just pushed.
    git update-ref "$BASE_REF" "$(git -C "$repo" rev-parse HEAD)"
  fi
  local added
  added=$(git -C "$repo" show --numstat --format= HEAD -- "$STATE_DIR" | awk '{n += $1} END {print n + 0}')
  say "ledger: $added new record(s) pushed to $branch as $(git -C "$repo" rev-parse --short HEAD)"
  summary "" "**Ledger:** $added new record(s) committed to \`$branch\` ($(git -C "$repo" rev-parse --short HEAD))."
}

case "${1:-}" in
  restore) restore_state ;;
  run) run_publish ;;
  commit) commit_state ;;
  merge-ledger)
    shift
    merge_ledger "$@"
    ;;
  *)
    say "usage: publish.sh restore|run|commit"
    exit 2
    ;;
esac
