# Shared set-up of the benchmarks that run the release server alone (issues.sh,
# basic-auth.sh, pulls.sh): sourced, not run. The caller sets NAME and PORT first; the
# knobs DB (sqlite, or a postgres:// URL of an empty database) and NO_BUILD=1 (use the
# existing release binary) apply to all of them.
#
#   NAME=pulls PORT=3933; source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   bench_server            # a data directory, config, sysop account, server started
#   bench_wrk label URL [header...]   # prints "label req/s p99"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DB=${DB:-sqlite}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET_DIR/release/hatchery
BASE=http://127.0.0.1:$PORT
PASSWORD=${PASSWORD:-"correct horse battery"}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-2}

# wrk asks for one URL from one address thousands of times: the crawler budget
# (rate_limit.*) would answer 429.
export HATCHERY__RATE_LIMIT__ENABLED=false

say() { echo "== $(date +%T) $*" >&2; }

bench_need() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "$NAME.sh: $tool is needed" >&2; exit 1; }
    done
}

bench_build() {
    if [[ "${NO_BUILD:-}" != 1 ]]; then
        say "building the release binary"
        cargo build --release -p hatchery --manifest-path "$ROOT/Cargo.toml" >&2
    fi
}

# A fresh data directory and configuration ($WORK, removed on exit, with the server), the
# command array H to run the binary on it, and the site administrator sysop.
bench_setup() {
    WORK=$(mktemp -d)
    trap 'kill "${PID:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
    {
        echo "data_dir = \"$WORK/data\""
        echo "[server]"
        echo "listen = \"127.0.0.1:$PORT\""
        if [[ "$DB" != sqlite ]]; then
            echo "[database]"
            echo "url = \"$DB\""
        fi
    } > "$WORK/hatchery.toml"
    H=("$BIN" --config "$WORK/hatchery.toml")
    "${H[@]}" admin user create --username sysop --email sysop@example.org \
        --password "$PASSWORD" --admin >/dev/null
}

# Creates an account and prints an access token of it.
bench_user_token() {
    "${H[@]}" admin user create --username "$1" --email "$1@example.org" \
        --password "$PASSWORD" --access-token | tail -1 | sed 's/.*\.\.\. //'
}

# Starts the server (PID) and waits until it answers.
bench_serve() {
    "${H[@]}" serve > "$WORK/serve.log" 2>&1 &
    PID=$!
    for _ in $(seq 100); do
        curl -fsS "$BASE/api/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "$NAME.sh: the server did not start; its log:" >&2
    cat "$WORK/serve.log" >&2
    exit 1
}

# wrk on one URL after a warm-up; prints "label req/s p99". Extra arguments are headers.
bench_wrk() {
    local label=$1 url=$2 code
    shift 2
    local headers=()
    for h in "$@"; do headers+=(-H "$h"); done
    code=$(curl -s -o /dev/null -w '%{http_code}' "${headers[@]}" "$url")
    [[ "$code" == 200 ]] || { echo "$label: $url answered $code" >&2; exit 1; }
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "${headers[@]}" "$url" >/dev/null
    local out rps p99
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "${headers[@]}" "$url")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    printf '%-14s %10s %10s\n' "$label" "$rps" "$p99"
}
