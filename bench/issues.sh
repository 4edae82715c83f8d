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

ISSUES=${ISSUES:-10000}
NAME=issues PORT=${PORT:-3931}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_need curl wrk python3
bench_build
bench_setup
TOKEN=$(bench_user_token ada)
bench_serve

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
printf '%-14s %10s %10s\n' page "req/s" "p99"
for entry in "${URLS[@]}"; do
    bench_wrk "${entry%%|*}" "${entry#*|}" "$AUTH"
done
