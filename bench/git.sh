#!/usr/bin/env bash
# Git over HTTP benchmark (issue 3, "Measure"), recorded in BENCHMARKS.md: Hatchery's
# smart-HTTP server against `git http-backend` under lighttpd (started by
# ../shared/bench/peers.sh), same machine, same run, same repositories:
#
#   (a) make-repo.py's default repository, (b) a larger one (--commits 20000 --files 2000,
#       about 206k objects). Generated once and cached under target/bench-repos/, keyed by
#       the generator's arguments and a hash of the generator itself.
#
# For each: full clone (git clone --bare, protocol v2; also v0 for the small repository):
# median wall time and server CPU (user+sys) and pack bytes; 8 concurrent clones: peak
# server memory; fetch of 10 new commits pushed to both servers' copies: bytes and time;
# push of the whole repository (every branch and tag) to an empty repository: time.
# Runs alternate between the two servers. Prints a table of ratios (Hatchery / git).
#
#   bench/git.sh
#
# Knobs (environment): PEERS (path of peers.sh; default ../shared/bench/peers.sh from the
# repository root), SMALL_ARGS (make-repo.py arguments of (a); default none),
# LARGE_ARGS ("--commits 20000 --files 2000"; empty string skips (b)), SMALL_RUNS (5),
# LARGE_RUNS (5), FETCH_RUNS (5), PUSH_RUNS (5), CLONES (8), BENCH_REPOS (cache folder),
# MAKE_REPO (make-repo.py; default next to peers.sh).
# Needs git, python3, curl; peers.sh installs lighttpd (apt-get) when it is missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELPER="$ROOT/bench/git.py"
PEERS=${PEERS:-$ROOT/../shared/bench/peers.sh}
MAKE_REPO=${MAKE_REPO:-$(dirname "$PEERS")/make-repo.py}
SMALL_ARGS=${SMALL_ARGS-}
LARGE_ARGS=${LARGE_ARGS---commits 20000 --files 2000}
SMALL_RUNS=${SMALL_RUNS:-5}
LARGE_RUNS=${LARGE_RUNS:-5}
FETCH_RUNS=${FETCH_RUNS:-5}
PUSH_RUNS=${PUSH_RUNS:-5}
CLONES=${CLONES:-8}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BENCH_REPOS=${BENCH_REPOS:-$TARGET_DIR/bench-repos}
BENCH_PASSWORD="bench password / 1"

say() { echo "== $(date +%T) $*"; }

for tool in git python3 curl; do
    command -v "$tool" >/dev/null || { echo "git.sh: $tool is needed" >&2; exit 1; }
done
[[ -x $PEERS || -f $PEERS ]] || { echo "git.sh: peers.sh not found at $PEERS (set PEERS)" >&2; exit 1; }
[[ -f $MAKE_REPO ]] || { echo "git.sh: make-repo.py not found at $MAKE_REPO (set MAKE_REPO)" >&2; exit 1; }

say "cargo build --release -p hatchery" >&2
cargo build --release -p hatchery --manifest-path "$ROOT/Cargo.toml" >&2
BIN="$TARGET_DIR/release/hatchery"

WORK=$(mktemp -d -t hatchery-gitbench.XXXXXX)
SERVER_PID=""
PEER_PIDS=""
cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ -n $PEER_PIDS ]]; then
        # peers.sh keeps its lighttpd configuration in a temporary folder: remove it too.
        local conf=""
        [[ -n ${LIGHTTPD_PID:-} ]] &&
            conf=$(tr '\0' '\n' 2>/dev/null <"/proc/$LIGHTTPD_PID/cmdline" | sed -n '/\/git\.conf$/p')
        # shellcheck disable=SC2086
        bash "$PEERS" stop $PEER_PIDS || true
        [[ $conf == /tmp/peers.*/git.conf ]] && rm -rf "$(dirname "$conf")"
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Only the configuration this script sets.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(HATCHERY__[^=]*\)=.*/\1/p')
unset RUST_LOG
for name in $(env | sed -n 's/^\(GIT_[^=]*\)=.*/\1/p'); do unset "$name"; done

# ---------------------------------------------------------------------------------------
# Repositories: generated once per (arguments, generator) and cached.

# Prints the path of the cached repository for make-repo.py arguments "$1".
repo_for() {
    local args=$1 key gen
    gen=$(sha256sum "$MAKE_REPO" | cut -c1-10)
    key=$(sed -E 's/^ +//; s/ +$//; s/--//g; s/ +/-/g' <<<"$args" | tr -cd 'A-Za-z0-9_.-')
    [[ -n $key ]] || key=default
    local out="$BENCH_REPOS/$key-$gen.git"
    if [[ ! -e $out.complete ]]; then
        say "generating a repository: make-repo.py $args (cached as $out)" >&2
        mkdir -p "$BENCH_REPOS"
        rm -rf "$out" "$out.tmp"
        # shellcheck disable=SC2086
        python3 "$MAKE_REPO" "$out.tmp" $args >&2
        mv "$out.tmp" "$out"
        touch "$out.complete"
    fi
    echo "$out"
}

declare -A SRC
SRC[small]=$(repo_for "$SMALL_ARGS")
LABELS=(small)
if [[ -n $LARGE_ARGS ]]; then
    SRC[large]=$(repo_for "$LARGE_ARGS")
    LABELS+=(large)
fi

objects_of() {
    git --git-dir="$1" count-objects -v | awk '/^in-pack:/ {p = $2} /^count:/ {c = $2} END {print p + c}'
}

# ---------------------------------------------------------------------------------------
# Servers: Hatchery with a user `bench` owning the repositories, and lighttpd + http-backend
# on copies of the same repositories.

DATA="$WORK/hatchery"
PEER_ROOT="$WORK/peer"
mkdir -p "$DATA" "$PEER_ROOT"
export HATCHERY__DATA_DIR="$DATA" HATCHERY__SERVER__LISTEN=127.0.0.1:0
printf '%s\n' "$BENCH_PASSWORD" >"$WORK/password"
"$BIN" admin user create --username bench --email bench@example.org \
    --password-file "$WORK/password" >/dev/null

# Replace the objects and refs of an empty Hatchery repository by those of $2 (HEAD stays
# refs/heads/main, which make-repo.py's repositories use too).
fill_repo() {
    local dir=$1 src=$2
    [[ $(cat "$dir/HEAD") == "ref: refs/heads/main" ]] || { echo "unexpected HEAD in $dir" >&2; exit 1; }
    rm -rf "$dir/objects" "$dir/refs"
    cp -r "$src/objects" "$src/refs" "$dir/"
    [[ -f $src/packed-refs ]] && cp "$src/packed-refs" "$dir/"
    return 0
}

say "preparing the repositories on both servers" >&2
for label in "${LABELS[@]}"; do
    "$BIN" admin repo create "bench/$label" >/dev/null
    fill_repo "$DATA/repositories/bench/$label.git" "${SRC[$label]}"
    cp -r "${SRC[$label]}" "$PEER_ROOT/$label.git"
    for ((i = 1; i <= PUSH_RUNS; i++)); do
        "$BIN" admin repo create "bench/$label-push-$i" >/dev/null
        git init -q --bare -b main "$PEER_ROOT/$label-push-$i.git"
    done
done

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
}

stop_server() {
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
    SERVER_PID=""
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server
PORT_GIT=$(free_port)
PORT_CGIT=$(free_port)
while [[ $PORT_CGIT == "$PORT_GIT" ]]; do PORT_CGIT=$(free_port); done
say "starting git http-backend under lighttpd: $PEERS" >&2
PEER_PIDS=$(bash "$PEERS" start "$PEER_ROOT" "$PORT_GIT" "$PORT_CGIT" | tail -n 1)
LIGHTTPD_PID=$(sed -n 's/^git=\([0-9]*\).*/\1/p' <<<"$PEER_PIDS")
[[ -n $LIGHTTPD_PID ]] || { echo "peers.sh did not start: $PEER_PIDS" >&2; exit 1; }
GIT_URL="http://127.0.0.1:$PORT_GIT"
curl -fsS -o /dev/null "$GIT_URL/small.git/info/refs?service=git-upload-pack" ||
    { echo "git http-backend does not answer at $GIT_URL" >&2; exit 1; }
ENCODED_PASSWORD=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$BENCH_PASSWORD")

hatchery_url() { echo "${URL/http:\/\//http://bench:$ENCODED_PASSWORD@}/bench/$1.git"; }
targets() { # targets REPO-NAME: the two --target arguments for git.py
    echo "--target hatchery=hatchery:$SERVER_PID:$URL/bench/$1.git"
    echo "--target git=cgi:$LIGHTTPD_PID:$GIT_URL/$1.git"
}
helper() { python3 "$HELPER" "$@" --work "$WORK/client"; }
mkdir -p "$WORK/client"

declare -A R
# Stores field $3 of target $2 in JSON $1 under R[$4].
store() {
    local json=$1 key=$4
    R[$key]=$(python3 -c 'import json, sys; v = json.loads(sys.argv[1])[sys.argv[2]][sys.argv[3]]; print(v)' "$json" "$2" "$3")
}
store_both() { # store_both JSON FIELD KEY: R[KEY.hatchery], R[KEY.git]
    store "$1" hatchery "$2" "$3.hatchery"
    store "$1" git "$2" "$3.git"
}

for label in "${LABELS[@]}"; do
    if [[ $label == small ]]; then runs=$SMALL_RUNS; else runs=$LARGE_RUNS; fi
    R[$label.objects]=$(objects_of "${SRC[$label]}")

    say "$label: full clone, protocol v2, $runs runs each" >&2
    # shellcheck disable=SC2046
    out=$(helper clone --runs "$runs" --proto 2 $(targets "$label"))
    echo "$out" >&2
    store_both "$out" wall "$label.clone2.wall"
    store_both "$out" cpu "$label.clone2.cpu"
    store_both "$out" bytes "$label.clone2.bytes"

    if [[ $label == small ]]; then
        say "$label: full clone, protocol v0, $runs runs each" >&2
        # shellcheck disable=SC2046
        out=$(helper clone --runs "$runs" --proto 0 $(targets "$label"))
        echo "$out" >&2
        store_both "$out" wall "$label.clone0.wall"
        store_both "$out" cpu "$label.clone0.cpu"
        store_both "$out" bytes "$label.clone0.bytes"
    fi

    say "$label: $CLONES concurrent clones (Hatchery restarted first, for a clean VmHWM)" >&2
    stop_server
    start_server
    # shellcheck disable=SC2046
    out=$(helper concurrent --clones "$CLONES" $(targets "$label"))
    echo "$out" >&2
    store "$out" hatchery vmhwm_kib "$label.conc.mem.hatchery"
    store "$out" git peak_rss_kib "$label.conc.mem.git"
    store_both "$out" peak_rss_kib "$label.conc.rss"
    store_both "$out" peak_anon_kib "$label.conc.anon"
    store_both "$out" rss_before_kib "$label.conc.before"
    store_both "$out" wall "$label.conc.wall"
    store_both "$out" cpu "$label.conc.cpu"
    store "$out" hatchery bytes "$label.conc.pack"

    say "$label: 10 new commits, pushed to both servers" >&2
    tree="$WORK/client/$label-worktree"
    rm -rf "$tree"
    git clone -q "${SRC[$label]}" "$tree"
    for ((i = 1; i <= 10; i++)); do
        file=$(git -C "$tree" ls-files | sed -n "$((i * 37))p")
        sed -i "$((i * 3))s/\$/ \/\/ edited in commit $i/" "$tree/$file"
        printf 'fn added_%d() {}\n' "$i" >>"$tree/$file"
        date=$(printf '2030-01-%02dT10:00:00Z' "$i")
        GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
            git -C "$tree" -c user.name=Bench -c user.email=bench@example.org \
            commit -q -a -m "benchmark commit $i"
    done
    git -C "$tree" push -q "$(hatchery_url "$label")" HEAD:refs/heads/main
    git -C "$tree" push -q "$GIT_URL/$label.git" HEAD:refs/heads/main

    say "$label: fetch of the 10 commits, $FETCH_RUNS runs each" >&2
    # shellcheck disable=SC2046
    out=$(helper fetch "${SRC[$label]}" --runs "$FETCH_RUNS" $(targets "$label"))
    echo "$out" >&2
    store_both "$out" wall "$label.fetch.wall"
    store_both "$out" cpu "$label.fetch.cpu"
    store_both "$out" bytes "$label.fetch.bytes"

    say "$label: push of the whole repository to an empty one, $PUSH_RUNS runs each" >&2
    out=$(helper push "${SRC[$label]}" --runs "$PUSH_RUNS" \
        --target "hatchery=hatchery:$SERVER_PID:$(hatchery_url "$label-push-{i}")" \
        --target "git=cgi:$LIGHTTPD_PID:$GIT_URL/$label-push-{i}.git")
    echo "$out" >&2
    store_both "$out" wall "$label.push.wall"
    store_both "$out" cpu "$label.push.cpu"
    # Both servers hold the same refs afterwards.
    for ((i = 1; i <= PUSH_RUNS; i++)); do
        a=$(git --git-dir="$DATA/repositories/bench/$label-push-$i.git" for-each-ref | sort)
        b=$(git --git-dir="$PEER_ROOT/$label-push-$i.git" for-each-ref | sort)
        [[ $a == "$b" && -n $a ]] || { echo "push $i of $label: the servers' refs differ" >&2; exit 1; }
    done
done
stop_server

# ---------------------------------------------------------------------------------------
# The table.

R[clones]=$CLONES
for key in "${!R[@]}"; do printf '%s=%s\n' "$key" "${R[$key]}"; done >"$WORK/results"
python3 - "$WORK/results" "${LABELS[@]}" <<'PY' >"$WORK/table"
import sys
labels = sys.argv[2:]
R = dict(line.rstrip("\n").split("=", 1) for line in open(sys.argv[1]))
f = lambda k: float(R[k])

def secs(v): return f"{v:.2f} s"
def cpu(v): return f"{v:.2f} s"
def mib(v): return f"{v / 1048576:.1f} MiB" if v >= 1048576 else f"{v / 1024:.1f} KiB"
def kib_mib(v): return f"{v / 1024:.0f} MiB"

rows = []
def row(name, key, fmt, goal, scale=1.0):
    h, g = f(key + ".hatchery") * scale, f(key + ".git") * scale
    verdict = ""
    if g > 0:
        ratio = h / g
        if goal is not None:
            verdict = "pass" if ratio <= goal else "**miss**"
        shown = f"{ratio:.2f}x"
    else:  # below the clock's resolution (CPU ticks are 10 ms)
        shown = "—"
        if goal is not None:
            verdict = "pass" if h == 0 else "**miss**"
    rows.append((name, fmt(h), fmt(g), shown, f"≤ {goal:.2f}x" if goal else "", verdict))

for label in labels:
    objs = int(R[f"{label}.objects"])
    tag = f"{label} ({objs:,} objects)"
    row(f"{tag}: clone v2, wall (median)", f"{label}.clone2.wall", secs, 0.8)
    row(f"{tag}: clone v2, server CPU (median)", f"{label}.clone2.cpu", cpu, 0.8)
    row(f"{tag}: clone v2, pack bytes", f"{label}.clone2.bytes", mib, 1.02)
    if f"{label}.clone0.wall.hatchery" in R:
        row(f"{tag}: clone v0, wall (median)", f"{label}.clone0.wall", secs, 0.8)
        row(f"{tag}: clone v0, server CPU (median)", f"{label}.clone0.cpu", cpu, 0.8)
        row(f"{tag}: clone v0, pack bytes", f"{label}.clone0.bytes", mib, 1.02)
    row(f"{tag}: fetch 10 commits, wall (median)", f"{label}.fetch.wall", secs, 1.2)
    row(f"{tag}: fetch 10 commits, pack bytes", f"{label}.fetch.bytes", mib, 1.2)
    row(f"{tag}: fetch 10 commits, server CPU (median)", f"{label}.fetch.cpu", cpu, None)
    row(f"{tag}: push all to empty, wall (median)", f"{label}.push.wall", secs, 1.0)
    row(f"{tag}: push all to empty, server CPU (median)", f"{label}.push.cpu", cpu, None)
    # Memory: VmHWM of the Hatchery process vs the sampled peak of lighttpd and its CGIs.
    pack = f(f"{label}.conc.pack")
    h, g = f(f"{label}.conc.mem.hatchery"), f(f"{label}.conc.mem.git")
    clones = R.get("clones", "8")
    bounded = h * 1024 < pack * int(clones)
    per_pack = lambda kib: f"{kib * 1024 / pack:.1f}× pack"
    rows.append((f"{tag}: {clones} concurrent clones, peak server RSS",
                 f"{kib_mib(h)} (VmHWM; {per_pack(h)})", f"{kib_mib(g)} (sum, sampled; {per_pack(g)})",
                 f"{h / g:.2f}x" if g else "—", f"bounded: < {clones} × pack ({mib(pack * int(clones))})",
                 "pass" if bounded else "**miss**"))
    ha, ga = f(f"{label}.conc.anon.hatchery"), f(f"{label}.conc.anon.git")
    rows.append((f"{tag}: {clones} concurrent clones, of which anonymous (sampled)",
                 f"{kib_mib(ha)} ({per_pack(ha)})", f"{kib_mib(ga)} ({per_pack(ga)})",
                 f"{ha / ga:.2f}x" if ga else "—", "", ""))
    row(f"{tag}: {clones} concurrent clones, wall", f"{label}.conc.wall", secs, None)
    row(f"{tag}: {clones} concurrent clones, server CPU", f"{label}.conc.cpu", cpu, None)

print("| Measure | Hatchery | git http-backend | Ratio | Goal | |")
print("|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
PY

echo
echo "Hatchery $("$BIN" --version | awk '{print $2}') ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)), $(git --version), lighttpd $(lighttpd -v 2>/dev/null | sed -n 's/^lighttpd\/\([^ ]*\).*/\1/p'), $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(uname -sr)"
cat "$WORK/table"
