#!/usr/bin/env bash
# Drives a running Hatchery with an existing Gitea API client: gitea-api-client (PyPI),
# generated from Gitea's OpenAPI document, whose pydantic models validate every response
# against Gitea's schema. Not part of CI (it installs from PyPI); run it by hand:
#
#   tests/compat/gitea_client.sh [path/to/hatchery]
#
# It starts a throw-away server on 127.0.0.1:3917 with its own data directory, creates an
# account with `admin user create --access-token`, runs tests/compat/gitea_client.py and
# stops the server.
set -Eeuo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${1:-$here/../../target/debug/hatchery}"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "gitea-api-client==1.27.3"
cat > "$work/hatchery.toml" <<TOML
data_dir = "$work/data"
[server]
listen = "127.0.0.1:3917"
TOML
"$bin" --config "$work/hatchery.toml" admin user create --username sysop \
    --email sysop@example.org --password "correct horse battery" --admin >/dev/null
"$bin" --config "$work/hatchery.toml" admin user create --username ada \
    --email ada@example.org --password "correct horse battery" --access-token \
    | tail -1 > "$work/token.txt"
"$bin" --config "$work/hatchery.toml" serve > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    curl -fsS http://127.0.0.1:3917/api/healthz >/dev/null 2>&1 && break
    sleep 0.1
done
GITEA_TOKEN_FILE="$work/token.txt" "$work/venv/bin/python" "$here/gitea_client.py"
