#!/usr/bin/env bash
# Merge benchmark (issue 11), recorded in BENCHMARKS.md ("Merges"): Hatchery's in-process
# merges against the git CLI on make-repo.py's default repository (2,000 commits, 400
# files), release build, same run.
#
# Two pull requests branch off main~5 while main moves on by 5 commits (so every style
# really merges): pr100 changes 100 files in one commit; pr50 is 50 commits changing one
# file each. Then examples/merge_bench.rs times mergeability and each style.
#
#   bench/merge.sh            knobs: RUNS (9), SRC, MAKE_REPO, BENCH_REPOS
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MAKE_REPO=${MAKE_REPO:-$ROOT/../shared/bench/make-repo.py}
# Worktrees live one level deeper than the main checkout.
[ -f "$MAKE_REPO" ] || MAKE_REPO=$ROOT/../../shared/bench/make-repo.py
BENCH_REPOS=${BENCH_REPOS:-$ROOT/target/bench-repos}
RUNS=${RUNS:-9}
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com \
  GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com

mkdir -p "$BENCH_REPOS"
# SRC: another repository to measure on (any clonable path, e.g. a real project's own
# history); it needs at least 6 commits on its default branch and 250 files.
SRC=${SRC:-$BENCH_REPOS/merge-default.git}
[ -d "$SRC" ] || python3 "$MAKE_REPO" "$SRC"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
git clone -q "$SRC" "$WORK/w"
cd "$WORK/w"
BR=$(git symbolic-ref --short HEAD)
# Files of the fork point that main's last 5 commits leave alone (on a real history they
# add, delete and edit files), so every pull request below merges cleanly.
mapfile -t FILES < <(comm -23 \
  <(comm -12 <(git ls-tree -r --name-only "$BR~5" | sort) <(git ls-tree -r --name-only "$BR" | sort)) \
  <(git diff --name-only "$BR~5" "$BR" | sort))
[ "${#FILES[@]}" -ge 250 ] || { echo "merge.sh: $SRC needs 250 files main~5..main leaves alone" >&2; exit 1; }

git checkout -q -b pr100 HEAD~5
for f in "${FILES[@]:100:100}"; do echo "pr100 change" >>"$f"; done
git commit -qam "pr100: change 100 files"

git checkout -q -b pr50 "$BR~5"
for i in $(seq 0 49); do
  echo "pr50 change $i" >>"${FILES[200 + i]}"
  git commit -qam "pr50: commit $i"
done
git checkout -q "$BR"
git gc -q

cd "$ROOT"
cargo build -q --release -p hatchery-git --example merge_bench
"$ROOT/target/release/examples/merge_bench" "$WORK/w/.git" "$BR" pr100 pr50 --runs "$RUNS" \
  --fork "$WORK/fork.git"
# Disk: du counts a hard-linked file once per invocation, so the fork's own cost is what
# the two together take beyond the parent; a copy (clone --no-local) for comparison.
git clone -q --bare --no-local "$WORK/w/.git" "$WORK/copy.git"
parent_kb=$(du -sk "$WORK/w/.git" | cut -f1)
both_kb=$(du -sk "$WORK/w/.git" "$WORK/fork.git" | awk '{s += $1} END {print s}')
copy_kb=$(du -sk "$WORK/copy.git" | cut -f1)
echo "disk: parent ${parent_kb} KiB; fork adds $((both_kb - parent_kb)) KiB; a copy takes ${copy_kb} KiB"
