#!/usr/bin/env bash
# Issue tracker and REST API at scale (recorded in BENCHMARKS.md, "## Issues and API"):
# one repository with ISSUES issues (each with a comment, a third labelled, a tenth closed),
# created through the API itself; then wrk (CONNECTIONS connections, THREADS threads,
# DURATION s after WARMUP s) on the issue list page (open, first page), a filtered list
# (label), a full-text search of titles, bodies and comments (a word in a tenth of the
# issues, and a word that matches nothing), one issue page, and the API's issue list and
# single issue. Prints requests/s and p99 per URL. No peer runs here: Gitea is not
# installable offline on this machine, so the figures are absolute, to watch for
# regressions and for how lists scale with the number of issues.
#
#   bench/issues.sh
#
# Knobs (environment): ISSUES (10000), DURATION (10), WARMUP (2), CONNECTIONS (8),
# THREADS (2), DB (sqlite, or a postgres:// URL of an empty database), NO_BUILD=1 (use the
# existing release binary).
# Needs curl, wrk and python3.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ISSUES=${ISSUES:-10000}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-2}
DB=${DB:-sqlite}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET_DIR/release/hatchery
PORT=${PORT:-3931}
BASE=http://127.0.0.1:$PORT

say() { echo "== $(date +%T) $*" >&2; }
for tool in curl wrk python3; do
    command -v "$tool" >/dev/null || { echo "issues.sh: $tool is needed" >&2; exit 1; }
done
if [[ "${NO_BUILD:-}" != 1 ]]; then
    say "building the release binary"
    cargo build --release -p hatchery --manifest-path "$ROOT/Cargo.toml" >&2
fi

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
    --password "correct horse battery" --admin >/dev/null
TOKEN=$("${H[@]}" admin user create --username ada --email ada@example.org \
    --password "correct horse battery" --access-token | tail -1 | sed 's/.*\.\.\. //')
"${H[@]}" serve > "$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -fsS "$BASE/api/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

api() { curl -fsS -H "Authorization: token $TOKEN" -H 'Content-Type: application/json' "$@"; }
api -X POST "$BASE/api/v1/user/repos" -d '{"name":"big","auto_init":true}' >/dev/null
LABEL=$(api -X POST "$BASE/api/v1/repos/ada/big/labels" -d '{"name":"bug","color":"#d73a4a"}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

say "creating $ISSUES issues through the API"
START=$SECONDS
python3 - "$BASE" "$TOKEN" "$ISSUES" "$LABEL" <<'PY'
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, token, n, label = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
words = "parser renderer database network cache scheduler compiler storage kernel driver".split()
def call(method, path, body):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode(),
        headers={"Authorization": "token " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
def one(i):
    w = words[i % len(words)]
    body = {"title": f"The {w} fails on input {i}", "body": f"Steps to reproduce {i}: run the {w}." + (" zebrafish" if i % 10 == 0 else "")}
    if i % 3 == 0:
        body["labels"] = [label]
    issue = call("POST", "/api/v1/repos/ada/big/issues", body)
    call("POST", f"/api/v1/repos/ada/big/issues/{issue['number']}/comments", {"body": f"Seen with {w} too, case {i}."})
    if i % 10 == 1:
        call("PATCH", f"/api/v1/repos/ada/big/issues/{issue['number']}", {"state": "closed"})
with ThreadPoolExecutor(4) as pool:
    list(pool.map(one, range(n)))
PY
say "created in $((SECONDS - START)) s"

AUTH="Authorization: token $TOKEN"
URLS=(
    "list|$BASE/ada/big/issues"
    "label|$BASE/ada/big/issues?labels=$LABEL"
    "search-hit|$BASE/ada/big/issues?q=zebrafish&state=all"
    "search-miss|$BASE/ada/big/issues?q=nowhere&state=all"
    "issue|$BASE/ada/big/issues/$((ISSUES / 2))"
    "api-list|$BASE/api/v1/repos/ada/big/issues?limit=30"
    "api-issue|$BASE/api/v1/repos/ada/big/issues/$((ISSUES / 2))"
)
printf '%-12s %10s %10s\n' page "req/s" "p99"
for entry in "${URLS[@]}"; do
    name=${entry%%|*}; url=${entry#*|}
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$url")
    [[ "$code" == 200 ]] || { echo "$name: $url answered $code" >&2; exit 1; }
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -H "$AUTH" "$url" >/dev/null
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$AUTH" "$url")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    printf '%-12s %10s %10s\n' "$name" "$rps" "$p99"
done
