#!/usr/bin/env bash
# A/B of issue 14 item 1: a full clone planned by walking every commit and tree against one
# planned from the stored object list (objects/info/hatchery-full-clone), same server, same
# repository, alternating; prints wall time and the server's CPU per clone.
#
#   cargo build --release -p hatchery-protocol --example serve
#   python3 ../shared/bench/make-repo.py --commits 20000 --files 2000 ROOT/large.git
#   ROOT=... bench/full-clone-list.sh
set -euo pipefail
ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BIN:-${CARGO_TARGET_DIR:-$ROOT_DIR/target}/release/examples/serve}
ROOT=${ROOT:?set ROOT to a folder holding large.git}
WORK=$(mktemp -d)
"$BIN" "$ROOT" > "$WORK/addr" &
SP=$!
trap 'kill $SP; rm -rf "$WORK"' EXIT
while [ ! -s "$WORK/addr" ]; do sleep 0.1; done
URL=$(cat "$WORK/addr")/large.git
TCK=$(getconf CLK_TCK)
cpu() { awk -v t="$TCK" '{print ($14+$15)/t}' "/proc/$SP/stat"; }
for round in 1 2 3; do
  for mode in walk list; do
    [ $mode = walk ] && rm -f "$ROOT/large.git/objects/info/hatchery-full-clone"
    rm -rf "$WORK/c.git"
    c0=$(cpu); t0=$(date +%s.%N)
    git -c protocol.version=2 clone -q --bare "$URL" "$WORK/c.git"
    t1=$(date +%s.%N); c1=$(cpu)
    echo "$round $mode wall $(echo "$t1 - $t0" | bc) server_cpu $(echo "$c1 - $c0" | bc)"
  done
done
git -C "$WORK/c.git" fsck --strict --no-progress && echo fsck ok
