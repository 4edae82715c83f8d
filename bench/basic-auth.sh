#!/usr/bin/env bash
# Password Basic authentication under load (issue 18, item 9), recorded in BENCHMARKS.md
# ("Basic authentication under load"): CONNECTIONS concurrent API clients, each request
# sending the password of one of USERS accounts (turn by turn), against the release binary,
# first with the Basic cache off (HATCHERY__AUTH__BASIC_CACHE_SECS=0: argon2 on every
# request), then with the default (300 s), then with an access token as the reference.
# Same machine, same data directory, same binary, one run after the other. Prints median
# and p95 latency and requests/s for each, and the ratios.
#
#   bench/basic-auth.sh
#
# Knobs (environment): USERS (50), CONNECTIONS (50), THREADS (2), DURATION (20), WARMUP
# (3), URL_PATH (/api/v1/user), DB (sqlite, or a postgres:// URL of an empty database),
# NO_BUILD=1 (use the existing release binary).
# Needs curl, wrk (built with Lua) and python3.
set -euo pipefail

USERS=${USERS:-50}
CONNECTIONS=${CONNECTIONS:-50}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
URL_PATH=${URL_PATH:-/api/v1/user}
NAME=basic-auth PORT=${PORT:-3932}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_need curl wrk python3
bench_build

say "creating $USERS accounts"
bench_setup
TOKEN=$(bench_user_token u0)
for i in $(seq 1 $((USERS - 1))); do
    "${H[@]}" admin user create --username "u$i" --email "u$i@example.org" \
        --password "$PASSWORD" >/dev/null
done

# One Authorization header per account; each wrk thread takes them turn by turn.
python3 - "$USERS" "$PASSWORD" "$TOKEN" "$WORK" <<'PY'
import base64, sys
users, password, token, work = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
basic = ['"Basic %s"' % base64.b64encode(f"u{i}:{password}".encode()).decode() for i in range(users)]
tail = """
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", nil, { ["Authorization"] = headers[(n %% #headers) + 1] })
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%.2f %%.2f %%.1f %%d %%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.requests / (summary.duration / 1e6),
    summary.errors.status + summary.errors.timeout + summary.errors.connect
      + summary.errors.read + summary.errors.write, summary.requests))
end
"""
open(f"{work}/basic.lua", "w").write("headers = {" + ", ".join(basic) + "}\n" + tail % ())
open(f"{work}/token.lua", "w").write('headers = {"token %s"}\n' % token + tail % ())
PY

start() { bench_serve; }
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }

# Prints "p50_ms p95_ms req/s"; fails the run on any error answer.
measure() {
    local script=$1
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 60s -s "$WORK/$script" \
        "$BASE$URL_PATH" >/dev/null
    local out
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 60s -s "$WORK/$script" \
        "$BASE$URL_PATH" | awk '$1 == "RESULT" {print $2, $3, $4, $5, $6}')
    read -r p50 p95 rps errors total <<<"$out"
    [[ "$errors" == 0 ]] || { echo "basic-auth.sh: $errors of $total requests failed ($script)" >&2; exit 1; }
    echo "$p50 $p95 $rps"
}

say "password Basic, cache off"
export HATCHERY__AUTH__BASIC_CACHE_SECS=0
start
curl -fsS -o /dev/null -u "u1:$PASSWORD" "$BASE$URL_PATH"
OFF=$(measure basic.lua)
stop
say "password Basic, cache at its default (300 s)"
unset HATCHERY__AUTH__BASIC_CACHE_SECS
start
ON=$(measure basic.lua)
say "access token"
TOK=$(measure token.lua)
stop

printf '%-28s %10s %10s %10s\n' "" "p50 ms" "p95 ms" "req/s"
printf '%-28s %10s %10s %10s\n' "password Basic, cache off" $OFF
printf '%-28s %10s %10s %10s\n' "password Basic, cache 300 s" $ON
printf '%-28s %10s %10s %10s\n' "access token" $TOK
python3 - "$OFF" "$ON" "$TOK" <<'PY'
import sys
off, on, tok = (list(map(float, a.split())) for a in sys.argv[1:])
print(f"cache on vs off: {on[2] / off[2]:.0f}x the requests/s, median latency {off[0] / on[0]:.0f}x lower")
print(f"cache on vs token: {on[2] / tok[2]:.2f} of the token's requests/s")
PY
