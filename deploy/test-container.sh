#!/usr/bin/env bash
# Tests Hatchery's container image for real, with podman, as root on a Debian machine:
#
#   deploy/test-container.sh [BINARY]      (default: target/release/hatchery)
#
# It builds the image from deploy/Dockerfile's runtime stage around BINARY (the release
# binary CI has just built: nothing is compiled here), then, with a volume and a published
# port: waits for /api/healthz; signs up through the web form (CSRF included) and creates a
# repository through the web form; pushes and clones over the published port with git
# (`git fsck --strict` on the clone); backs up with `hatchery dump` run by `podman exec`;
# stops the container while an API request is in the middle of its body and checks that
# the request succeeds and the exit code is 0; starts a new container on the same volume
# and finds the account, both repositories and the commits; runs the image's HEALTHCHECK;
# and restores the dump into a new volume and finds the data there too.
#
# Podman, runc and debootstrap are installed when missing, the debian:bookworm-slim base
# image is made with debootstrap when podman lacks it (see deploy/podman-lib.sh). Every
# container, volume and image it makes is removed on exit; the base image stays, for the
# next run. A failure names the step and shows the container's last log lines.
set -Eeuo pipefail
# Failures inside $(...) stop the script too.
shopt -s inherit_errexit

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=deploy/podman-lib.sh
source deploy/podman-lib.sh

BINARY=${1:-target/release/hatchery}
RUN_ID="hatchery-test-$$"
IMAGE="localhost/${RUN_ID}:latest"
VOLUME="${RUN_ID}-data"
RESTORED_VOLUME="${RUN_ID}-restored"
CONTAINER=""
USER_NAME=alice
USER_EMAIL=alice@example.com
USER_PASSWORD="correct horse battery staple"
REPO=demo

STEP="start"
STARTED=$SECONDS
STEP_STARTED=$SECONDS

WORK=$(mktemp -d /var/tmp/hatchery-container-test.XXXXXX)

on_error() {
    local code=$?
    # Once, from the script itself (subshells of $(...) inherit the trap).
    [[ "$BASHPID" == "$$" ]] || return "$code"
    echo "==> container test FAILED at step: ${STEP} (exit code ${code}, after $((SECONDS - STARTED))s)" >&2
    if [[ -n "$CONTAINER" ]] && podman container exists "$CONTAINER" 2>/dev/null; then
        echo "    last log lines of ${CONTAINER}:" >&2
        podman logs --tail 30 "$CONTAINER" 2>&1 | sed 's/^/    | /' >&2 || true
    fi
}
trap on_error ERR

cleanup() {
    local c
    exec 7>&- 2>/dev/null || true
    for c in "${RUN_ID}-1" "${RUN_ID}-2" "${RUN_ID}-3"; do
        podman rm --force --time 0 "$c" >/dev/null 2>&1 || true
    done
    podman volume rm --force "$VOLUME" "$RESTORED_VOLUME" >/dev/null 2>&1 || true
    podman rmi --force "$IMAGE" >/dev/null 2>&1 || true
    if [[ -f "$WORK/images-before" ]]; then
        podman images --quiet --no-trunc --filter dangling=true | sort |
            comm -13 "$WORK/images-before" - | xargs --no-run-if-empty podman rmi --force >/dev/null 2>&1 || true
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
    echo "==> container: ${STEP}"
}

fail() {
    echo "    $*" >&2
    return 1
}

# Polls `command` until it succeeds or `seconds` have passed.
wait_for() {
    local seconds=$1
    shift
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        if ((SECONDS >= deadline)); then
            fail "gave up after ${seconds}s waiting for: $*"
            return 1
        fi
        sleep 0.2
    done
}

# podman, without its errors about the health check's systemd timer on hosts without
# systemd (the check itself is run by hand below).
quiet_podman() {
    podman "$@" 2> >(grep -v 'unable to get systemd connection' >&2 || true)
}

# A TCP port on the loopback that nothing listens on.
free_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    fail "no free port found"
}

# Starts container number $1 on volume $2 with a published port; sets CONTAINER and BASE.
start_container() {
    local port
    port=$(free_port)
    CONTAINER="${RUN_ID}-$1"
    BASE="http://127.0.0.1:${port}"
    quiet_podman run --detach --name "$CONTAINER" \
        --publish "127.0.0.1:${port}:3000" \
        --volume "$2:/data" \
        --env HATCHERY__SERVER__PUBLIC_URL="${BASE}/" \
        "$IMAGE" >/dev/null
    wait_for 60 healthy_or_exited
    if [[ "$(podman inspect --format '{{.State.Running}}' "$CONTAINER")" != "true" ]]; then
        fail "${CONTAINER} exited (code $(podman inspect --format '{{.State.ExitCode}}' "$CONTAINER"))"
    fi
    echo "    ${CONTAINER} answers at ${BASE}"
}

healthy_or_exited() {
    [[ "$(podman inspect --format '{{.State.Running}}' "$CONTAINER")" == "true" ]] || return 0
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${BASE}/api/healthz")" == 200 ]]
}

# curl for one request: status code on standard output, body in $WORK/body.
http() {
    curl -sS --max-time 30 -o "$WORK/body" -w '%{http_code}' "$@"
}

expect_status() {
    local want=$1 what=$2
    shift 2
    local got
    got=$(http "$@")
    if [[ "$got" != "$want" ]]; then
        fail "${what}: expected HTTP ${want}, got ${got}: $(head -c 300 "$WORK/body")"
    fi
}

# The hidden CSRF field of the form in $WORK/body.
csrf_of_page() {
    local token
    token=$(grep -o 'name="_csrf" value="[^"]*"' "$WORK/body" | head -n 1 | sed -e 's/.*value="//' -e 's/"$//')
    [[ -n "$token" ]] || fail "the page has no _csrf field"
    echo "$token"
}

git_quiet() {
    GIT_TERMINAL_PROMPT=0 git -c credential.helper= -c user.name="Container Test" \
        -c user.email=container-test@example.com -c init.defaultBranch=main "$@"
}

AUTH_URL() {
    local password
    password=$(printf %s "$USER_PASSWORD" | sed 's/ /%20/g')
    echo "http://${USER_NAME}:${password}@${BASE#http://}"
}

# Clones $1 anonymously into $2, checks it with `git fsck --strict` and prints its HEAD.
clone_and_check() {
    rm -rf "$2"
    git_quiet clone --quiet "${BASE}/$1.git" "$2"
    git -C "$2" fsck --strict --no-progress 2>&1 | sed 's/^/    fsck: /'
    git -C "$2" rev-parse HEAD
}

# --------------------------------------------------------------------------------------
step "podman, runc and debootstrap"
require_root "deploy/test-container.sh"
[[ -x "$BINARY" ]] || fail "no executable Hatchery binary at ${BINARY} (build it with: cargo build --release -p hatchery --locked)"
tools=()
command -v curl >/dev/null || tools+=(curl)
command -v git >/dev/null || tools+=(git)
if ((${#tools[@]} > 0)); then
    apt_install "${tools[@]}"
fi
podman_setup

# --------------------------------------------------------------------------------------
step "base image ${BASE_IMAGE}"
ensure_base_image

# --------------------------------------------------------------------------------------
step "image from deploy/Dockerfile's runtime stage with ${BINARY}"
# The build leaves the prebuilt stage as an untagged image: removed on exit with the rest.
podman images --quiet --no-trunc --filter dangling=true | sort >"$WORK/images-before"
mkdir "$WORK/context"
cp "$BINARY" "$WORK/context/hatchery"
podman build --quiet --pull=never --format docker --target prebuilt \
    --file deploy/Dockerfile --tag "$IMAGE" "$WORK/context" >/dev/null
rm -rf "$WORK/context"
healthcheck=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE")
[[ "$healthcheck" == *healthcheck* ]] || fail "the image has no HEALTHCHECK (got ${healthcheck})"
echo "    $(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }')"

# --------------------------------------------------------------------------------------
step "first container: /api/healthz on a published port, volume owner"
podman volume create "$VOLUME" >/dev/null
start_container 1 "$VOLUME"
ids=$(podman exec "$CONTAINER" sh -c 'echo "$(id -u):$(id -g) $(stat -c %u:%g /data /data/hatchery.db | tr "\n" " ")"')
[[ "$ids" == "10001:10001 10001:10001 10001:10001 " ]] ||
    fail "expected user, group, /data and hatchery.db all 10001:10001, got: ${ids}"

# --------------------------------------------------------------------------------------
step "sign up through the web form (the first account becomes administrator)"
jar="$WORK/cookies"
expect_status 200 "GET /user/sign_up" -c "$jar" -b "$jar" "${BASE}/user/sign_up"
csrf=$(csrf_of_page)
expect_status 303 "POST /user/sign_up" -c "$jar" -b "$jar" \
    --data-urlencode "_csrf=${csrf}" --data-urlencode "username=${USER_NAME}" \
    --data-urlencode "email=${USER_EMAIL}" --data-urlencode "password=${USER_PASSWORD}" \
    --data-urlencode "password_confirm=${USER_PASSWORD}" "${BASE}/user/sign_up"
expect_status 200 "GET /api/v1/user" -u "${USER_NAME}:${USER_PASSWORD}" "${BASE}/api/v1/user"
grep -q "\"login\":\"${USER_NAME}\"" "$WORK/body" || fail "GET /api/v1/user: $(cat "$WORK/body")"
grep -q '"is_admin":true' "$WORK/body" || fail "the first account is not an administrator"

# --------------------------------------------------------------------------------------
step "create a repository through the web form"
expect_status 200 "GET /repo/create" -c "$jar" -b "$jar" "${BASE}/repo/create"
csrf=$(csrf_of_page)
expect_status 303 "POST /repo/create" -c "$jar" -b "$jar" \
    --data-urlencode "_csrf=${csrf}" --data-urlencode "owner=${USER_NAME}" \
    --data-urlencode "name=${REPO}" --data-urlencode "description=made by the container test" \
    "${BASE}/repo/create"

# --------------------------------------------------------------------------------------
step "push and clone over the published port with git"
src="$WORK/src"
git_quiet init --quiet "$src"
printf '# Demo\n' >"$src/README.md"
git_quiet -C "$src" add README.md
git_quiet -C "$src" commit --quiet -m "First commit"
head -c 300000 /dev/urandom >"$src/data.bin"
printf 'fn main() {}\n' >"$src/main.rs"
git_quiet -C "$src" add data.bin main.rs
git_quiet -C "$src" commit --quiet -m "Second commit"
pushed=$(git -C "$src" rev-parse HEAD)
git_quiet -C "$src" push --quiet "$(AUTH_URL)/${USER_NAME}/${REPO}.git" main
cloned=$(clone_and_check "${USER_NAME}/${REPO}" "$WORK/clone-1" | tail -n 1)
[[ "$cloned" == "$pushed" ]] || fail "the clone's HEAD is ${cloned}, the pushed one ${pushed}"

# --------------------------------------------------------------------------------------
step "back up with hatchery dump through podman exec"
# As the README tells admins: a plain tar on standard output, compressed on the host.
podman exec "$CONTAINER" hatchery dump --output - | gzip >"$WORK/backup.tar.gz"
tar -tzf "$WORK/backup.tar.gz" >"$WORK/backup.list"
for entry in manifest.json end.json "repositories/${USER_NAME}/${REPO}.git/HEAD"; do
    grep -q "^\(\./\)\?${entry}$" "$WORK/backup.list" || fail "the dump lacks ${entry}"
done
echo "    $(wc -l <"$WORK/backup.list") entries, $(($(stat -c %s "$WORK/backup.tar.gz") / 1024)) KiB compressed"

# --------------------------------------------------------------------------------------
step "podman stop during a request: the request finishes, exit code 0"
# The request's body comes through a pipe this script holds open: the request is
# certainly in flight (the server has read its headers, checked the password and asked
# for the body: "100 Continue") when the stop begins, and it ends only after the server
# has logged that it is shutting down.
mkfifo "$WORK/request-body"
curl -sS -v --max-time 60 -u "${USER_NAME}:${USER_PASSWORD}" -X POST -T - \
    -H 'Content-Type: application/json' -H 'Expect: 100-continue' \
    -o "$WORK/in-flight.json" -w '%{http_code}' "${BASE}/api/v1/user/repos" \
    <"$WORK/request-body" >"$WORK/in-flight.status" 2>"$WORK/in-flight.trace" &
request_pid=$!
exec 7>"$WORK/request-body"
printf '{"name": "in-flight",' >&7
wait_for 30 grep -q '^< HTTP/1.1 100 Continue' "$WORK/in-flight.trace"
# (7>&-: podman must not hold the pipe open, or the body would never end.)
quiet_podman stop --time 30 "$CONTAINER" >/dev/null 7>&- &
stop_pid=$!
shutting_down() { podman logs "$CONTAINER" 2>&1 | grep -q 'shutting down'; }
wait_for 30 shutting_down
printf ' "description": "created while the server was stopping"}' >&7
exec 7>&-
wait "$request_pid" || fail "the request in flight failed: $(tail -n 5 "$WORK/in-flight.trace")"
[[ "$(cat "$WORK/in-flight.status")" == 201 ]] ||
    fail "the request in flight answered $(cat "$WORK/in-flight.status"): $(cat "$WORK/in-flight.json")"
wait "$stop_pid"
code=$(podman inspect --format '{{.State.ExitCode}}' "$CONTAINER")
[[ "$code" == 0 ]] || fail "the server exited with code ${code} after podman stop"

# --------------------------------------------------------------------------------------
step "second container on the same volume finds the data"
start_container 2 "$VOLUME"
expect_status 200 "GET /api/v1/user as ${USER_NAME}" -u "${USER_NAME}:${USER_PASSWORD}" "${BASE}/api/v1/user"
expect_status 200 "GET the repository made during the stop" "${BASE}/api/v1/repos/${USER_NAME}/in-flight"
cloned=$(clone_and_check "${USER_NAME}/${REPO}" "$WORK/clone-2" | tail -n 1)
[[ "$cloned" == "$pushed" ]] || fail "after the restart, HEAD is ${cloned}, not ${pushed}"

# --------------------------------------------------------------------------------------
step "the image's HEALTHCHECK (podman healthcheck run)"
podman healthcheck run "$CONTAINER" >/dev/null || fail "podman healthcheck run reported unhealthy"
quiet_podman stop --time 30 "$CONTAINER" >/dev/null

# --------------------------------------------------------------------------------------
step "restore the dump into a new volume with hatchery restore"
podman volume create "$RESTORED_VOLUME" >/dev/null
podman run --rm --volume "$RESTORED_VOLUME:/data" --volume "$WORK/backup.tar.gz:/backup.tar.gz:ro" \
    "$IMAGE" restore /backup.tar.gz >"$WORK/restore.log" 2>&1 ||
    fail "hatchery restore failed: $(tail -n 5 "$WORK/restore.log")"
start_container 3 "$RESTORED_VOLUME"
expect_status 200 "GET /api/v1/user as ${USER_NAME} after the restore" -u "${USER_NAME}:${USER_PASSWORD}" "${BASE}/api/v1/user"
cloned=$(clone_and_check "${USER_NAME}/${REPO}" "$WORK/clone-3" | tail -n 1)
[[ "$cloned" == "$pushed" ]] || fail "after the restore, HEAD is ${cloned}, not ${pushed}"
quiet_podman stop --time 30 "$CONTAINER" >/dev/null

step "done"
echo "==> container test passed in $((SECONDS - STARTED))s"
