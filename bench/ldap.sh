#!/usr/bin/env bash
# LDAP sign-in and team sync (issue 12), recorded in BENCHMARKS.md ("LDAP sign-in and team
# sync"): crates/hatchery-service/examples/ldap_bench.rs, release build, against a real
# OpenLDAP slapd started on a free port (Debian packages slapd, ldap-utils, openssl) and
# SQLite. Goals: sign-in ≤ 50 ms beyond the directory's own answer; the sync of 5,000
# people in 200 groups ≤ 30 s, and a second run changes nothing.
#
#   bench/ldap.sh [USERS] [GROUPS] [SIGNINS]      (5000 200 200)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cargo run -q --release --manifest-path "$ROOT/Cargo.toml" -p hatchery-service \
    --example ldap_bench -- "${1:-5000}" "${2:-200}" "${3:-200}"
