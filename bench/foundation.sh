#!/usr/bin/env bash
# Foundation benchmark (issue 2, "Measure"), recorded in BENCHMARKS.md:
#   (a) resident memory (VmRSS, VmHWM) of an idle server on an empty site, and after
#       1,000 page requests;
#   (b) time from process start to the first 200 from /api/healthz on an existing
#       database (median of 20 starts);
#   (c) the argon2 parameters of a stored hash, and the rate of correct sign-ins
#       (POST /user/login) the server sustains, with p50/p99 latency.
# Each on SQLite, and on PostgreSQL when a URL is given.
#
#   bench/foundation.sh [POSTGRES_URL]
#
# POSTGRES_URL defaults to $HATCHERY_BENCH_PG_URL, then $HATCHERY_TEST_PG_URL; without one
# only SQLite is measured. The PostgreSQL runs work in a scratch schema that is dropped at
# the end. Needs curl and python3 (and psql for PostgreSQL); the load and the timing come
# from bench/foundation.py. Knobs: PAGE_REQUESTS (1000), STARTUP_RUNS (20), SIGNIN_SECONDS
# (10), SIGNIN_CONCURRENCY (8).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELPER="$ROOT/bench/foundation.py"
PG_URL=${1:-${HATCHERY_BENCH_PG_URL:-${HATCHERY_TEST_PG_URL:-}}}
PAGE_REQUESTS=${PAGE_REQUESTS:-1000}
STARTUP_RUNS=${STARTUP_RUNS:-20}
SIGNIN_SECONDS=${SIGNIN_SECONDS:-10}
SIGNIN_CONCURRENCY=${SIGNIN_CONCURRENCY:-8}
BENCH_PASSWORD="benchmark password 1"

for tool in curl python3; do
    command -v "$tool" >/dev/null || { echo "foundation.sh: $tool is needed" >&2; exit 1; }
done
if [[ -n $PG_URL ]] && ! command -v psql >/dev/null; then
    echo "foundation.sh: psql is needed for the PostgreSQL runs" >&2
    exit 1
fi

echo "== cargo build --release -p hatchery" >&2
cargo build --release -p hatchery --manifest-path "$ROOT/Cargo.toml" >&2
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/hatchery"

WORK=$(mktemp -d -t hatchery-bench.XXXXXX)
SERVER_PID=""
SCHEMAS=()
cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    for schema in "${SCHEMAS[@]}"; do
        psql "$PG_URL" -qc "DROP SCHEMA IF EXISTS \"$schema\" CASCADE" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# Only the configuration this script sets.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(HATCHERY__[^=]*\)=.*/\1/p')
unset RUST_LOG

# "VmRSS VmHWM" of a process, in MiB.
memory() {
    awk '/^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2} END {printf "%.1f %.1f\n", r / 1024, h / 1024}' \
        "/proc/$1/status"
}

# A field of a JSON object: json_field JSON KEY.
json_field() {
    python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# Starts `hatchery serve` (configured through the exported HATCHERY__ variables) on a free
# port; sets SERVER_PID and URL once /api/healthz answers 200.
start_server() {
    local log=$1 deadline=$((SECONDS + 60))
    : >"$log.out" # exists before the background job opens it
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
    local status=0
    wait "$SERVER_PID" || status=$?
    SERVER_PID=""
    if ((status != 0)); then
        echo "the server exited with $status after SIGTERM" >&2
        exit 1
    fi
}

# PAGE_REQUESTS GETs of the pages of an empty site, 4 at a time. (Not wrk: it has no
# request count, and a thread that stops itself still waits out the whole -d duration.)
page_requests() {
    python3 "$HELPER" pages "$URL" "$PAGE_REQUESTS" 4 >&2
}

# The stored hash of the account `bench`.
stored_hash() {
    local backend=$1 dir=$2
    if [[ $backend == sqlite ]]; then
        python3 -c 'import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute(
    "SELECT password_hash FROM accounts WHERE lower_name = ?", ("bench",)).fetchone()
print(row[0])' "$dir/data/hatchery.db"
    else
        psql "$HATCHERY__DATABASE__URL" -Atc "SELECT password_hash FROM accounts WHERE lower_name = 'bench'"
    fi
}

declare -A R
measure() {
    local backend=$1 dir="$WORK/$1"
    mkdir -p "$dir/data"
    export HATCHERY__DATA_DIR="$dir/data" HATCHERY__SERVER__LISTEN=127.0.0.1:0
    unset HATCHERY__DATABASE__URL
    if [[ $backend == postgres ]]; then
        local schema="hatchery_bench_$$_$RANDOM" separator='?'
        psql "$PG_URL" -qc "CREATE SCHEMA \"$schema\"" >/dev/null
        SCHEMAS+=("$schema")
        [[ $PG_URL == *\?* ]] && separator='&'
        export HATCHERY__DATABASE__URL="${PG_URL}${separator}options=-c%20search_path%3D${schema}"
    fi

    echo "== $backend: memory of a fresh server on an empty site" >&2
    start_server "$dir/memory"
    sleep 1 # let start-up work settle before reading the idle figure
    read -r R[$backend.idle_rss] R[$backend.idle_hwm] < <(memory "$SERVER_PID")
    page_requests
    read -r R[$backend.pages_rss] R[$backend.pages_hwm] < <(memory "$SERVER_PID")
    stop_server

    echo "== $backend: start to healthy, $STARTUP_RUNS starts on the existing database" >&2
    local startup
    startup=$(python3 "$HELPER" startup "$BIN" "$STARTUP_RUNS")
    echo "$startup" >&2
    R[$backend.start_median]=$(json_field "$startup" median_ms)
    R[$backend.start_min]=$(json_field "$startup" min_ms)
    R[$backend.start_max]=$(json_field "$startup" max_ms)

    echo "== $backend: sign-ins for ${SIGNIN_SECONDS}s, $SIGNIN_CONCURRENCY at a time" >&2
    printf '%s\n' "$BENCH_PASSWORD" >"$dir/password"
    "$BIN" admin user create --username bench --email bench@example.org \
        --password-file "$dir/password" >/dev/null
    local hash
    hash=$(stored_hash "$backend" "$dir")
    R[$backend.argon2]=$(sed -E 's/^\$(argon2[a-z]*)\$v=([0-9]+)\$([^$]*)\$.*/\1 v=\2 \3/' <<<"$hash")
    start_server "$dir/signin"
    local signin
    signin=$(python3 "$HELPER" signin "$URL" bench "$BENCH_PASSWORD" "$SIGNIN_SECONDS" "$SIGNIN_CONCURRENCY")
    echo "$signin" >&2
    R[$backend.signin_rate]=$(json_field "$signin" per_second)
    R[$backend.signin_p50]=$(json_field "$signin" p50_ms)
    R[$backend.signin_p99]=$(json_field "$signin" p99_ms)
    if [[ $(json_field "$signin" failures) != "{}" ]]; then
        echo "foundation.sh: some sign-ins failed: $signin" >&2
        exit 1
    fi
    read -r R[$backend.signin_rss] R[$backend.signin_hwm] < <(memory "$SERVER_PID")
    stop_server
}

BACKENDS=(sqlite)
[[ -n $PG_URL ]] && BACKENDS+=(postgres)
for backend in "${BACKENDS[@]}"; do
    measure "$backend"
done

cell() {
    local fmt=$1 backend=$2 out
    shift 2
    local args=()
    for key in "$@"; do args+=("${R[$backend.$key]}"); done
    # shellcheck disable=SC2059
    printf -v out "$fmt" "${args[@]}"
    echo "$out"
}
line() {
    local label=$1 goal=$2 fmt=$3 text
    shift 3
    text="| $label |"
    for backend in "${BACKENDS[@]}"; do text+=" $(cell "$fmt" "$backend" "$@") |"; done
    echo "$text $goal |"
}

echo
echo "Hatchery $("$BIN" --version | awk '{print $2}') ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)), $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
header="| Measure |"
rule="|---|"
for backend in "${BACKENDS[@]}"; do header+=" $backend |"; rule+="---|"; done
echo "$header Goal |"
echo "$rule---|"
line "Idle after start: VmRSS (VmHWM)" "≤ 20 MB" "%s MiB (%s)" idle_rss idle_hwm
line "After $PAGE_REQUESTS page requests: VmRSS (VmHWM)" "" "%s MiB (%s)" pages_rss pages_hwm
line "Start to first healthy /api/healthz, median of $STARTUP_RUNS (min–max)" "≤ 100 ms" "%s ms (%s–%s)" start_median start_min start_max
line "Argon2 parameters of a stored hash" "OWASP: m=19456,t=2,p=1" "%s" argon2
line "Correct sign-ins/s, $SIGNIN_CONCURRENCY concurrent for ${SIGNIN_SECONDS}s" "" "%s" signin_rate
line "Sign-in latency p50 / p99" "" "%s / %s ms" signin_p50 signin_p99
line "After the sign-ins: VmRSS (VmHWM)" "" "%s MiB (%s)" signin_rss signin_hwm
