#!/usr/bin/env bash
# Writes crates/hatchery/startup-order.txt: the functions the server runs while it starts
# and answers its first pages, in the order the linker should place them (issue 13,
# item 8; BENCHMARKS.md, "Idle memory").
#
#   bench/startup-order.sh            # builds the release binary first
#   BIN=target/release/hatchery bench/startup-order.sh
#
# Why: the kernel maps 64 KiB of an executable around every code page a process touches
# (fault-around), and RSS counts those pages. Start-up touches a few MiB of code spread over
# the whole text segment, so ~17 MiB of code became resident. The release link
# (crates/hatchery/build.rs) passes this list to lld as `--symbol-ordering-file`, which puts
# these functions next to each other at the start of the text segment; the rest of the
# code is only mapped when something runs it.
#
# How: the server runs under valgrind's callgrind (which records every function that
# executes, however short) on a fresh SQLite data directory, until it answers
# /api/healthz, the home page, a sign-in page and an explore page; then it stops with
# SIGTERM and every function that ran is listed by its symbol (mangled, as the linker
# knows it), hottest first. Names that later builds no longer have are skipped by the
# linker, so a list that is a little stale only orders less; run this again after
# dependency upgrades and before a release (it takes about a minute).
# Needs valgrind, curl, python3.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$ROOT/crates/hatchery/startup-order.txt}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

for tool in valgrind curl python3; do
    command -v "$tool" >/dev/null || { echo "startup-order.sh: $tool is needed" >&2; exit 1; }
done
if [[ -z ${BIN:-} ]]; then
    cargo build --release -p hatchery --manifest-path "$ROOT/Cargo.toml" >&2
    BIN="$TARGET_DIR/release/hatchery"
fi

WORK=$(mktemp -d -t hatchery-order.XXXXXX)
PID=""
cleanup() {
    [[ -n $PID ]] && kill -KILL "$PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(HATCHERY__[^=]*\)=.*/\1/p')
unset RUST_LOG
export HATCHERY__DATA_DIR="$WORK/data" HATCHERY__SERVER__LISTEN=127.0.0.1:0

valgrind --tool=callgrind --demangle=no --dump-instr=no --compress-strings=no \
    --compress-pos=no --callgrind-out-file="$WORK/callgrind.out" \
    "$BIN" serve >"$WORK/out" 2>"$WORK/err" &
PID=$!
URL=""
deadline=$((SECONDS + 300))
while [[ -z $URL ]]; do
    URL=$(sed -n 's#.* is running at \(http://[^/]*\)/.*#\1#p' "$WORK/out" | head -n 1)
    if [[ -z $URL ]]; then
        kill -0 "$PID" 2>/dev/null || { cat "$WORK/err" >&2; exit 1; }
        ((SECONDS < deadline)) || { echo "the server did not start" >&2; exit 1; }
        sleep 0.2
    fi
done
until curl -fsS -o /dev/null "$URL/api/healthz"; do
    ((SECONDS < deadline)) || { echo "the server never became healthy" >&2; exit 1; }
    sleep 0.2
done
for path in / /user/login /explore/repos /api/healthz; do
    curl -sS -o /dev/null "$URL$path"
done
# The background jobs run their first rounds over the first 24 s (Job::first_round_after):
# their code belongs in the list too.
sleep 35
kill -TERM "$PID"
wait "$PID" || true
PID=""

python3 - "$BIN" "$OUT" "$WORK"/callgrind.out* <<'PY'
import collections, os, re, sys

binary, out, *inputs = sys.argv[1:]
binary = os.path.realpath(binary)
cost = collections.Counter()
for path in inputs:
    ob = fn = None
    after_call = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if after_call:
                # The line after `calls=` is the inclusive cost of that call, not the
                # caller's own.
                after_call = False
                continue
            if line.startswith("ob="):
                ob = os.path.realpath(line[3:].strip())
            elif line.startswith("fn="):
                # "name'2" is callgrind's name for the second level of a recursion.
                fn = re.sub(r"'\d+$", "", line[3:].strip()) if ob == binary else None
                if fn:
                    cost[fn] += 0
            elif line.startswith("calls="):
                after_call = True
            elif fn and line[:1].isdigit():
                parts = line.split()
                if len(parts) >= 2:
                    cost[fn] += int(parts[1])
# Hottest first; only symbols of this executable (valgrind names code without a symbol
# "0x...").
names = [n for n, _ in cost.most_common() if not n.startswith("0x")]
with open(out, "w") as f:
    f.write("\n".join(names) + "\n")
print(f"{len(names)} functions written to {out}")
PY
