#!/usr/bin/env bash
# Makes the images deploy/Dockerfile and deploy/compose.yaml start from without a
# container registry (only Debian's package mirror and crates.io), with podman as root on
# Debian, and optionally runs the whole compose deployment once. See deploy/README.md.
#
#   deploy/local-images.sh                  make the images below, each unless present
#   deploy/local-images.sh --compose-test   then build Hatchery with the full multi-stage
#                                           Dockerfile through compose.yaml, start it with
#                                           PostgreSQL, check it, and take it down again
#   deploy/local-images.sh --remove         remove the images this script makes
#
# Images:
#   docker.io/library/debian:bookworm-slim      debootstrap (deploy/podman-lib.sh)
#   docker.io/library/rust:<v>-slim-bookworm    that + gcc + the host's Rust toolchain, <v>
#                                               as in the Dockerfile's build stage
#   localhost/hatchery-postgres:15              that + Debian's postgresql-15, with an
#                                               entrypoint like the official image's
set -Eeuo pipefail
shopt -s inherit_errexit

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=deploy/podman-lib.sh
source deploy/podman-lib.sh

POSTGRES_IMAGE=localhost/hatchery-postgres:15
# The build stage's image, as deploy/Dockerfile names it.
RUST_FROM=$(awk '$1 == "FROM" && $2 ~ /^rust:/ { print $2; exit }' deploy/Dockerfile)
RUST_IMAGE="docker.io/library/${RUST_FROM}"
PROJECT="hatchery-compose-test"

STEP="start"
STARTED=$SECONDS
STEP_STARTED=$SECONDS
WORK=$(mktemp -d /var/tmp/hatchery-local-images.XXXXXX)
COMPOSE_UP=0

on_error() {
    local code=$?
    # Once, from the script itself (subshells of $(...) inherit the trap).
    [[ "$BASHPID" == "$$" ]] || return "$code"
    echo "==> local-images FAILED at step: ${STEP} (exit code ${code}, after $((SECONDS - STARTED))s)" >&2
}
trap on_error ERR

# podman-compose with the test's project name and override file. podman-compose 1.0 exits
# with 0 even when a podman command it ran failed, printing "exit code: N" after it: its
# output goes to $WORK/$1.log, and any such line is a failure.
compose() {
    local log="$WORK/$1.log"
    if ! podman-compose --project-name "$PROJECT" --file deploy/compose.yaml \
        --file "$WORK/compose.override.yaml" "$@" >"$log" 2>&1 ||
        grep -q '^exit code: [1-9]' "$log"; then
        grep -v '^ ' "$log" | tail -n 30 >&2
        fail "podman-compose $* failed"
    fi
}

cleanup() {
    if [[ "$COMPOSE_UP" -eq 1 ]]; then
        compose down --volumes 2>/dev/null || true
        podman network rm --force "${PROJECT}_default" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

step() {
    if [[ "$STEP" != "start" ]]; then
        echo "    (${STEP}: $((SECONDS - STEP_STARTED))s)"
    fi
    STEP="$1"
    STEP_STARTED=$SECONDS
    echo "==> local-images: ${STEP}"
}

fail() {
    echo "    $*" >&2
    return 1
}

wait_for() {
    local seconds=$1
    shift
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        if ((SECONDS >= deadline)); then
            fail "gave up after ${seconds}s waiting for: $*"
            return 1
        fi
        sleep 1
    done
}

random_hex() {
    head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'
}

mode=${1:-}
case "$mode" in
"" | --compose-test | --remove) ;;
*)
    echo "usage: deploy/local-images.sh [--compose-test | --remove]" >&2
    exit 2
    ;;
esac

require_root "deploy/local-images.sh"

if [[ "$mode" == --remove ]]; then
    podman_setup >/dev/null
    podman rmi --force localhost/hatchery:latest "$POSTGRES_IMAGE" "$RUST_IMAGE" "$BASE_IMAGE" 2>/dev/null || true
    echo "removed the images; \`podman system prune --all --volumes\` frees the build caches too"
    exit 0
fi

# --------------------------------------------------------------------------------------
step "podman"
podman_setup

# --------------------------------------------------------------------------------------
step "base image ${BASE_IMAGE}"
ensure_base_image

# --------------------------------------------------------------------------------------
step "builder image ${RUST_IMAGE}"
if podman image exists "$RUST_IMAGE"; then
    echo "    present"
else
    want=${RUST_FROM#rust:}
    want=${want%%-*}
    sysroot=$(rustc --print sysroot) || fail "no Rust toolchain on this machine (rustup)"
    have=$(rustc --version | awk '{ print $2 }')
    [[ "$have" == "$want" || "$have" == "$want".* ]] ||
        fail "deploy/Dockerfile builds with Rust ${want}, this machine has ${have}: rustup toolchain install ${want}"
    mkdir -p "$WORK/builder/toolchain"
    for dir in bin lib libexec; do
        [[ -d "$sysroot/$dir" ]] && cp -al "$sysroot/$dir" "$WORK/builder/toolchain/"
    done
    # Sources and documentation are not needed to compile.
    rm -rf "$WORK/builder/toolchain/lib/rustlib/src" "$WORK/builder/toolchain/lib/rustlib/rustc-src"
    mkdir "$WORK/builder/ca-certificates"
    if [[ -d /usr/local/share/ca-certificates ]]; then
        cp -r /usr/local/share/ca-certificates/. "$WORK/builder/ca-certificates/"
    fi
    cp deploy/local-images/builder.Containerfile "$WORK/builder/Containerfile"
    podman build --quiet --pull=never --layers=false --tag "$RUST_IMAGE" "$WORK/builder" >/dev/null
    rm -rf "$WORK/builder"
fi

# --------------------------------------------------------------------------------------
step "PostgreSQL image ${POSTGRES_IMAGE}"
if podman image exists "$POSTGRES_IMAGE"; then
    echo "    present"
else
    podman build --quiet --pull=never --layers=false --tag "$POSTGRES_IMAGE" \
        --file deploy/local-images/postgres.Containerfile deploy/local-images >/dev/null
fi

if [[ "$mode" != --compose-test ]]; then
    step "done"
    echo "==> images ready in $((SECONDS - STARTED))s"
    podman images
    exit 0
fi

# --------------------------------------------------------------------------------------
step "podman-compose"
command -v podman-compose >/dev/null || apt_install podman-compose
command -v curl >/dev/null || apt_install curl
podman-compose version 2>/dev/null | grep -i 'podman-compose' | head -n 1 | sed 's/^/    /'

# Secrets as deploy/compose.yaml describes them, in a scratch directory (an override
# file points the compose file there), and a port nobody uses.
mkdir -m 0700 "$WORK/secrets"
random_hex 24 >"$WORK/secrets/postgres_password"
printf 'postgres://hatchery:%s@postgres:5432/hatchery\n' \
    "$(cat "$WORK/secrets/postgres_password")" >"$WORK/secrets/database_url"
random_hex 32 >"$WORK/secrets/auth_secret"
chmod 0644 "$WORK/secrets"/*
cat >"$WORK/compose.override.yaml" <<EOF
secrets:
  database_url:
    file: $WORK/secrets/database_url
  auth_secret:
    file: $WORK/secrets/auth_secret
  postgres_password:
    file: $WORK/secrets/postgres_password
EOF
port=$((20000 + RANDOM % 30000))
export HATCHERY_PORT=$port HATCHERY_PUBLIC_URL="http://127.0.0.1:${port}/"
export HATCHERY_POSTGRES_IMAGE=$POSTGRES_IMAGE
# HEALTHCHECK survives only in docker-format images.
export BUILDAH_FORMAT=docker

# --------------------------------------------------------------------------------------
step "full multi-stage build of deploy/Dockerfile (compose build)"
compose build
grep -q '^Successfully tagged localhost/hatchery:latest' "$WORK/build.log" ||
    fail "the build did not tag localhost/hatchery:latest"
grep -E 'Finished .release. ' "$WORK/build.log" | sed 's/^ */    /' || true

# --------------------------------------------------------------------------------------
step "compose up: Hatchery with PostgreSQL"
COMPOSE_UP=1
compose up -d --no-build
hatchery="${PROJECT}_hatchery_1"
postgres="${PROJECT}_postgres_1"
base="http://127.0.0.1:${port}"
healthy() { [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${base}/api/healthz")" == 200 ]]; }
wait_for 120 healthy || {
    podman logs --tail 20 "$hatchery" >&2 || true
    false
}
echo "    ${base}/api/healthz: $(curl -s "${base}/api/healthz")"

# --------------------------------------------------------------------------------------
step "an account made with hatchery admin, stored in PostgreSQL"
printf 'compose test password\n' >"$WORK/secrets/admin_password"
podman cp "$WORK/secrets/admin_password" "${hatchery}:/tmp/admin_password"
podman exec "$hatchery" hatchery admin user create --admin --username siteadmin \
    --email admin@example.com --password-file /tmp/admin_password
status=$(curl -s -o "$WORK/user.json" -w '%{http_code}' -u 'siteadmin:compose test password' "${base}/api/v1/user")
[[ "$status" == 200 ]] || fail "GET /api/v1/user answered ${status}: $(cat "$WORK/user.json")"
rows=$(podman exec "$postgres" psql -U hatchery -d hatchery -tAc "SELECT name FROM accounts WHERE kind = 0")
[[ "$rows" == siteadmin ]] || fail "PostgreSQL's accounts table holds: ${rows}"
echo "    PostgreSQL has the account; $(podman exec "$postgres" postgres --version)"

# --------------------------------------------------------------------------------------
step "health checks (podman healthcheck run) and a graceful stop"
podman healthcheck run "$hatchery" >/dev/null || fail "the Hatchery image's HEALTHCHECK failed"
podman healthcheck run "$postgres" >/dev/null || fail "compose.yaml's PostgreSQL health check failed"
podman stop --time 30 "$hatchery" >/dev/null 2>&1
code=$(podman inspect --format '{{.State.ExitCode}}' "$hatchery")
[[ "$code" == 0 ]] || fail "Hatchery exited with code ${code}"
compose down --volumes
podman network rm --force "${PROJECT}_default" >/dev/null
COMPOSE_UP=0

step "done"
echo "==> compose test passed in $((SECONDS - STARTED))s"
