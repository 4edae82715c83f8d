#!/usr/bin/env bash
# OpenID Connect sign-in (issue 12), recorded in BENCHMARKS.md ("OpenID Connect
# callback"): the release server and the test provider (tests/oidc: the certified
# oidc-provider package under Node.js) on loopback. ROUNDS sign-ins of ACCOUNTS different
# people (the first sign-in of each creates the account), each a full browser flow
# (bench/oidc.py). The server logs, per callback, the time spent waiting for the provider
# (token endpoint, userinfo, a key refetch) and its own time beyond that; this prints the
# medians and p90s of both. The goal: ≤ 20 ms of our own time beyond the provider.
#
#   bench/oidc.sh
#
# Knobs: ROUNDS (200), ACCOUNTS (50), DB, NO_BUILD=1. Needs node (npm ci --prefix
# tests/oidc), curl and python3.
set -euo pipefail

NAME=oidc PORT=${PORT:-3944}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROUNDS=${ROUNDS:-200}
ACCOUNTS=${ACCOUNTS:-50}
PROVIDER_PORT=$((PORT + 1))
PROVIDER=http://127.0.0.1:$PROVIDER_PORT
bench_need node curl python3
[ -d "$ROOT/tests/oidc/node_modules/oidc-provider" ] || {
    echo "oidc.sh: run npm ci --prefix tests/oidc first" >&2
    exit 1
}
bench_build
bench_setup
export HATCHERY__LOG__FORMAT=json

accounts=$(python3 -c "
import json, sys
n = int(sys.argv[1])
print(json.dumps({f'u{i}': {'preferred_username': f'u{i}', 'email': f'u{i}@uni.example',
                            'email_verified': True, 'name': f'User {i}', 'groups': ['staff']}
                  for i in range(n)}))" "$ACCOUNTS")
OIDC_PORT=$PROVIDER_PORT OIDC_CLIENT_ID=hatchery OIDC_CLIENT_SECRET=bench-secret \
    OIDC_REDIRECT_URIS="$BASE/user/oauth2/1/callback" OIDC_ACCOUNTS="$accounts" \
    node "$ROOT/tests/oidc/provider.mjs" > "$WORK/provider.log" 2>&1 &
PROVIDER_PID=$!
trap 'kill "${PID:-0}" "$PROVIDER_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q '^ready' "$WORK/provider.log" && break; sleep 0.1; done

echo bench-secret > "$WORK/secret"
HATCHERY__SERVER__PUBLIC_URL="$BASE/" "${H[@]}" admin auth add-oidc --name Bench \
    --issuer "$PROVIDER" --client-id hatchery --client-secret-file "$WORK/secret" \
    --scopes "profile email groups" >/dev/null
HATCHERY__SERVER__PUBLIC_URL="$BASE/" bench_serve

say "$ROUNDS sign-ins through the provider"
python3 "$ROOT/bench/oidc.py" "$BASE" "$PROVIDER" 1 "$ROUNDS" "$ACCOUNTS"
python3 - "$WORK/serve.log" <<'PY'
import json, statistics, sys
provider, ours = [], []
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    f = e.get("fields", e)  # events are flattened (logging.rs)
    if f.get("message") == "OpenID Connect callback":
        provider.append(float(f["provider_ms"]))
        ours.append(float(f["ours_ms"]))
def p90(v):
    v = sorted(v)
    return v[int(len(v) * 0.9) - 1]
print(f"server log, {len(ours)} callbacks: waiting for the provider median "
      f"{statistics.median(provider):.2f} ms (p90 {p90(provider):.2f}); "
      f"Hatchery's own time median {statistics.median(ours):.2f} ms (p90 {p90(ours):.2f})")
PY
