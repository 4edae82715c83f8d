#!/usr/bin/env bash
# Server memory benchmark (issue 13, item 8), recorded in BENCHMARKS.md: how much the
# release server holds idle, how high it goes while serving a large repository, and how
# much it gives back afterwards.
#
#   bench/memory.sh
#
# Starts `hatchery serve` (release build) on a free port with a temporary data directory,
# pushes a large synthetic repository made by make-repo.py (generated once and cached under
# target/bench-repos/, the same cache as bench/git.sh) over smart HTTP, then, for 1, 2 and
# 4 concurrent full clones (protocol v2), each on a freshly started server: idle memory
# before, the peak during the clones (VmHWM and the sampled peak of RssAnon), and RssAnon
# 5 s, 30 s and 60 s after the last clone ended. Memory is read from /proc/PID/status
# (VmRSS, RssAnon, RssFile) and /proc/PID/smaps_rollup (Pss). Prints a table.
#
# Knobs (environment): REPO_ARGS (make-repo.py arguments; default "--commits 20000
# --files 2000", about 206k objects; "--commits 40000 --files 2000" is git.git-sized),
# CLONES ("1 2 4"), AFTER ("5,30,60", seconds after the clones), BENCH_REPOS (cache
# folder), MAKE_REPO (make-repo.py; default ../shared/bench/make-repo.py), BIN (a built
# server binary instead of `cargo build --release -p hatchery`), LABEL (printed with the
# table). Anything else in the environment reaches the server, so allocator settings can
# be tried as `MALLOC_ARENA_MAX=2 bench/memory.sh`.
# IDLE_ONLY=1 skips the repository and the clones: it starts the server on a fresh data
# directory, waits until it is quiet and prints its idle memory (VmRSS, RssAnon, RssFile)
# and the resident size of each kind of mapping (the executable's code, read-only data,
# anonymous memory), read from /proc/PID/smaps; then the same IDLE_LATER (default 90)
# seconds after start, when every background job has run.
# Needs git, python3, curl.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELPER="$ROOT/bench/memory.py"
if [[ -z ${MAKE_REPO:-} ]]; then
    MAKE_REPO=$ROOT/../shared/bench/make-repo.py
    # A worktree under wt/ has the shared folder one level further up.
    [[ -f $MAKE_REPO ]] || MAKE_REPO=$ROOT/../../shared/bench/make-repo.py
fi
REPO_ARGS=${REPO_ARGS:---commits 20000 --files 2000}
CLONES=${CLONES:-1 2 4}
AFTER=${AFTER:-5,30,60}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BENCH_REPOS=${BENCH_REPOS:-$TARGET_DIR/bench-repos}
BENCH_PASSWORD="bench password / 1"

say() { echo "== $(date +%T) $*" >&2; }

for tool in git python3 curl; do
    command -v "$tool" >/dev/null || { echo "memory.sh: $tool is needed" >&2; exit 1; }
done
[[ -f $MAKE_REPO ]] || { echo "memory.sh: make-repo.py not found at $MAKE_REPO (set MAKE_REPO)" >&2; exit 1; }

if [[ -z ${BIN:-} ]]; then
    say "cargo build --release -p hatchery"
    cargo build --release -p hatchery --manifest-path "$ROOT/Cargo.toml" >&2
    BIN="$TARGET_DIR/release/hatchery"
fi

WORK=$(mktemp -d -t hatchery-membench.XXXXXX)
SERVER_PID=""
cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Only the configuration this script sets.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(HATCHERY__[^=]*\)=.*/\1/p')
unset RUST_LOG
for name in $(env | sed -n 's/^\(GIT_[^=]*\)=.*/\1/p'); do unset "$name"; done
export GIT_TERMINAL_PROMPT=0

if [[ -n ${IDLE_ONLY:-} ]]; then
    DATA="$WORK/data"
    export HATCHERY__DATA_DIR="$DATA" HATCHERY__SERVER__LISTEN=127.0.0.1:0
    start_server_idle() {
        local log="$WORK/serve" deadline=$((SECONDS + 60))
        "$BIN" serve >"$log.out" 2>"$log.err" &
        SERVER_PID=$!
        URL=""
        while [[ -z $URL ]]; do
            URL=$(sed -n 's#.* is running at \(http://[^/]*\)/.*#\1#p' "$log.out" | head -n 1)
            if [[ -z $URL ]]; then
                kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log.err" >&2; exit 1; }
                ((SECONDS < deadline)) || { echo "the server did not start" >&2; exit 1; }
                sleep 0.01
            fi
        done
        until curl -fsS -o /dev/null "$URL/api/healthz"; do
            ((SECONDS < deadline)) || { echo "the server never became healthy" >&2; exit 1; }
            sleep 0.01
        done
        python3 "$HELPER" settle "$SERVER_PID"
    }
    started=$SECONDS
    start_server_idle
    echo "Idle after start ($BIN, binary $(($(stat -c %s "$BIN") / 1048576)) MiB):"
    python3 "$HELPER" mappings "$SERVER_PID"
    # Again once every background job has run its first round (the last starts 24 s
    # after start) and the one-minute jobs their second.
    sleep $((started + ${IDLE_LATER:-90} - SECONDS))
    python3 "$HELPER" settle "$SERVER_PID"
    echo "Idle $((SECONDS - started)) s after start:"
    python3 "$HELPER" mappings "$SERVER_PID"
    exit 0
fi

# The repository: generated once per (arguments, generator) and cached, as bench/git.sh.
gen=$(sha256sum "$MAKE_REPO" | cut -c1-10)
key=$(sed -E 's/^ +//; s/ +$//; s/--//g; s/ +/-/g' <<<"$REPO_ARGS" | tr -cd 'A-Za-z0-9_.-')
[[ -n $key ]] || key=default
SRC="$BENCH_REPOS/$key-$gen.git"
if [[ ! -e $SRC.complete ]]; then
    say "generating a repository: make-repo.py $REPO_ARGS (cached as $SRC)"
    mkdir -p "$BENCH_REPOS"
    rm -rf "$SRC" "$SRC.tmp"
    # shellcheck disable=SC2086
    python3 "$MAKE_REPO" "$SRC.tmp" $REPO_ARGS >&2
    mv "$SRC.tmp" "$SRC"
    touch "$SRC.complete"
fi
OBJECTS=$(git --git-dir="$SRC" count-objects -v | awk '/^in-pack:/ {p = $2} /^count:/ {c = $2} END {print p + c}')

DATA="$WORK/data"
mkdir -p "$DATA" "$WORK/clients"
export HATCHERY__DATA_DIR="$DATA" HATCHERY__SERVER__LISTEN=127.0.0.1:0
printf '%s\n' "$BENCH_PASSWORD" >"$WORK/password"
"$BIN" admin user create --username bench --email bench@example.org \
    --password-file "$WORK/password" >/dev/null
"$BIN" admin repo create bench/big >/dev/null

# Starts `hatchery serve` on a free port; sets SERVER_PID and URL once it answers.
start_server() {
    local log="$WORK/serve.$RANDOM" deadline=$((SECONDS + 60))
    "$BIN" serve >"$log.out" 2>"$log.err" &
    SERVER_PID=$!
    URL=""
    while [[ -z $URL ]]; do
        URL=$(sed -n 's#.* is running at \(http://[^/]*\)/.*#\1#p' "$log.out" | head -n 1)
        if [[ -z $URL ]]; then
            kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log.err" >&2; exit 1; }
            ((SECONDS < deadline)) || { echo "the server did not start" >&2; exit 1; }
            sleep 0.01
        fi
    done
    until curl -fsS -o /dev/null "$URL/api/healthz"; do
        ((SECONDS < deadline)) || { echo "the server never became healthy" >&2; exit 1; }
        sleep 0.01
    done
    # The upkeep that runs at start, then a quiet second.
    python3 "$HELPER" settle "$SERVER_PID"
}

stop_server() {
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
    SERVER_PID=""
}

ENCODED_PASSWORD=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$BENCH_PASSWORD")
push_url() { echo "${URL/http:\/\//http://bench:$ENCODED_PASSWORD@}/bench/big.git"; }

declare -A R

say "idle after start"
start_server
R[idle]=$(python3 "$HELPER" snapshot "$SERVER_PID")

say "push of the repository ($OBJECTS objects)"
R[push]=$(python3 "$HELPER" load "$SERVER_PID" --after "$AFTER" \
    --cmd "git -C '$SRC' push -q '$(push_url)' 'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'")
python3 "$HELPER" settle "$SERVER_PID"
stop_server

for n in $CLONES; do
    say "$n concurrent clone(s), on a freshly started server"
    start_server
    cmds=()
    for ((i = 1; i <= n; i++)); do
        dest="$WORK/clients/$n-$i.git"
        rm -rf "$dest"
        cmds+=(--cmd "git -c protocol.version=2 clone --bare -q '$URL/bench/big.git' '$dest'")
    done
    R[clones.$n]=$(python3 "$HELPER" load "$SERVER_PID" --after "$AFTER" "${cmds[@]}")
    R[pack.$n]=$(find "$WORK/clients/$n-1.git/objects/pack" -name '*.pack' -printf '%s\n' | awk '{s += $1} END {print s}')
    rm -rf "$WORK/clients/$n-"*
    stop_server
done

for k in "${!R[@]}"; do printf '%s\t%s\n' "$k" "${R[$k]}"; done >"$WORK/results"
python3 - "$WORK/results" "$AFTER" "$CLONES" <<'PY' >"$WORK/table"
import json, sys
R = {}
for line in open(sys.argv[1]):
    k, v = line.rstrip("\n").split("\t", 1)
    R[k] = json.loads(v)
after = [f"{float(x):g}" for x in sys.argv[2].split(",") if x]
clones = sys.argv[3].split()
mib = lambda kib: f"{kib / 1024:.1f}"

print("| Phase | VmRSS | RssAnon | RssFile | Pss | Peak VmHWM | Peak RssAnon | Peak anon per clone |"
      + "".join(f" RssAnon +{a} s |" for a in after) + f" VmRSS +{after[-1]} s |")
print("|---|---|---|---|---|---|---|---|" + "---|" * (len(after) + 1))
i = R["idle"]
print(f"| idle after start | {mib(i['VmRSS'])} | {mib(i['RssAnon'])} | {mib(i['RssFile'])} | "
      f"{mib(i.get('smaps_Pss', 0))} | | | |" + " |" * (len(after) + 1))

def load_row(name, r, n=None):
    b = r["before"]
    per = f"{mib((r['peak_anon'] - b['RssAnon']) / n)}" if n else ""
    cells = [name, mib(b["VmRSS"]), mib(b["RssAnon"]), mib(b["RssFile"]), mib(b.get("smaps_Pss", 0)),
             mib(r["vmhwm"]), mib(r["peak_anon"]), per]
    cells += [mib(r["after"][a]["RssAnon"]) for a in after]
    cells.append(mib(r["after"][after[-1]]["VmRSS"]))
    print("| " + " | ".join(cells) + " |")

load_row("push (figures before: idle)", R["push"])
for n in clones:
    r = R[f"clones.{n}"]
    load_row(f"{n} concurrent clone{'s' if n != '1' else ''} ({r['wall']:.1f} s)", r, int(n))
packs = {R[f"pack.{n}"] for n in clones}
print()
print(f"MiB throughout. Pack sent per clone: {int(next(iter(packs))) / 1048576:.1f} MiB. "
      "Peak anon per clone = (peak RssAnon - RssAnon before) / clones.")
PY

echo
echo "Hatchery $("$BIN" --version | awk '{print $2}') ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)${LABEL:+, $LABEL}), binary $(($(stat -c %s "$BIN") / 1048576)) MiB, repository: make-repo.py $REPO_ARGS ($OBJECTS objects), $(git --version), $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$WORK/table"
