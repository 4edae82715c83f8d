#!/usr/bin/env bash
# Pull request pages (issue 11), recorded in BENCHMARKS.md ("Pull request pages"): the
# release server alone on make-repo.py's default repository (2,000 commits, 400 files),
# with a pull request that changes 100 files in one commit off main~5 while main moved on
# by 5 commits (the same shape as bench/merge.sh's pr100). Prints the first, uncached
# files page's time, then wrk's requests/s and p99 for the files page (unified and split),
# the conversation (with its merge box) and the commits page, cached, anonymous.
# No peer runs: Gitea is not installable offline here; the goal is ≥ 500 req/s for the
# files page of 100 changed files, cached.
#
#   bench/pulls.sh
#
# Knobs (environment): DURATION (10), WARMUP (2), CONNECTIONS (8), THREADS (2), DB (sqlite,
# or a postgres:// URL of an empty database), NO_BUILD=1 (use the existing release
# binary), MAKE_REPO, BENCH_REPOS. Needs curl, wrk, git and python3.
set -euo pipefail

NAME=pulls PORT=${PORT:-3933}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MAKE_REPO=${MAKE_REPO:-$ROOT/../shared/bench/make-repo.py}
[ -f "$MAKE_REPO" ] || MAKE_REPO=$ROOT/../../shared/bench/make-repo.py
BENCH_REPOS=${BENCH_REPOS:-$ROOT/target/bench-repos}
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com \
    GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
bench_need curl wrk git python3
bench_build

mkdir -p "$BENCH_REPOS"
SRC="$BENCH_REPOS/merge-default.git"
[ -d "$SRC" ] || python3 "$MAKE_REPO" "$SRC"

bench_setup
TOKEN=$(bench_user_token ada)
bench_serve
api() { curl -fsS -H "Authorization: token $TOKEN" -H 'Content-Type: application/json' "$@"; }
api -X POST "$BASE/api/v1/user/repos" -d '{"name":"big"}' >/dev/null

say "pushing the repository and a 100-file branch"
git clone -q "$SRC" "$WORK/w"
cd "$WORK/w"
BR=$(git symbolic-ref --short HEAD)
mapfile -t FILES < <(git ls-files | sort)
git checkout -q -b pr100 "$BR~5"
for f in "${FILES[@]:100:100}"; do echo "pr100 change" >>"$f"; done
git commit -qam "pr100: change 100 files"
REMOTE="http://ada:$TOKEN@127.0.0.1:$PORT/ada/big.git"
git push -q "$REMOTE" "$BR" pr100
api -X POST "$BASE/api/v1/repos/ada/big/pulls" \
    -d "{\"base\":\"$BR\",\"head\":\"pr100\",\"title\":\"Change 100 files\"}" >/dev/null
cd "$ROOT"

FILES_URL="$BASE/ada/big/pulls/1/files"
first=$(curl -fsS -o /dev/null -w '%{time_total}' "$FILES_URL")
say "first files page (uncached: diff of 100 files rendered): ${first}s"

printf '%-14s %10s %10s\n' page "req/s" "p99"
bench_wrk files "$FILES_URL"
bench_wrk files-split "$FILES_URL?style=split"
bench_wrk conversation "$BASE/ada/big/pulls/1"
bench_wrk commits "$BASE/ada/big/pulls/1/commits"
