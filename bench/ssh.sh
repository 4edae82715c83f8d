#!/usr/bin/env bash
# Clone over SSH (issue 15): the same repository cloned, in the same run, through
#
#   ssh-builtin   Hatchery's built-in SSH server (russh), OpenSSH client, protocol v2
#   http          Hatchery's smart HTTP, protocol v2
#   sshd+git      git's own git-upload-pack behind OpenSSH's sshd (a private sshd on a free
#                 port with its own host key and authorized_keys; skipped when no sshd)
#   pipe+git      git's own git-upload-pack over a pipe (git clone --no-local): the
#                 protocol work alone, without transport or encryption
#
# Runs alternate between the ways; prints the median wall time of each and its ratio to
# ssh-builtin. The repository is make-repo.py's (../shared/bench), generated into a
# temporary folder.
#
#   bench/ssh.sh
#
# Knobs (environment): BIN (a hatchery binary; default: a release build, made first),
# RUNS (5), REPO_ARGS (make-repo.py arguments; default none), MAKE_REPO (make-repo.py;
# default ../shared/bench/make-repo.py from the repository root), SSHD (default
# /usr/sbin/sshd). Needs git, ssh, ssh-keygen, python3, curl.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MAKE_REPO=${MAKE_REPO:-$ROOT/../shared/bench/make-repo.py}
RUNS=${RUNS:-5}
REPO_ARGS=${REPO_ARGS-}
SSHD=${SSHD:-/usr/sbin/sshd}
say() { echo "== $(date +%T) $*" >&2; }

for tool in git ssh ssh-keygen python3 curl; do
    command -v "$tool" >/dev/null || { echo "ssh.sh: $tool is needed" >&2; exit 1; }
done
if [[ -z ${BIN:-} ]]; then
    say "cargo build --release -p hatchery"
    cargo build --release -p hatchery --manifest-path "$ROOT/Cargo.toml" >&2
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/hatchery
fi

WORK=$(mktemp -d -t hatchery-sshbench.XXXXXX)
SERVER_PID="" SSHD_PID=""
cleanup() {
    for pid in $SERVER_PID $SSHD_PID; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(HATCHERY__[^=]*\)=.*/\1/p')
for name in $(env | sed -n 's/^\(GIT_[^=]*\)=.*/\1/p'); do unset "$name"; done
unset RUST_LOG

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

say "generating the repository: make-repo.py $REPO_ARGS"
# shellcheck disable=SC2086
python3 "$MAKE_REPO" "$WORK/source.git" $REPO_ARGS >&2
OBJECTS=$(git --git-dir="$WORK/source.git" count-objects -v | awk '/^in-pack:/ {p = $2} /^count:/ {c = $2} END {print p + c}')

# Hatchery with user `bench`, their key, and the repository.
DATA="$WORK/data"
mkdir -p "$DATA"
HTTP_PORT=$(free_port)
SSH_PORT=$(free_port)
export HATCHERY__DATA_DIR="$DATA" HATCHERY__SERVER__LISTEN="127.0.0.1:$HTTP_PORT" \
    HATCHERY__SSH__ENABLED=true HATCHERY__SSH__LISTEN="127.0.0.1:$SSH_PORT"
printf '%s\n' "bench password / 1" >"$WORK/password"
"$BIN" admin user create --username bench --email bench@example.org \
    --password-file "$WORK/password" --access-token >"$WORK/token.out"
TOKEN=$(grep -o '[0-9a-f]\{40\}' "$WORK/token.out" | tail -n 1)
"$BIN" admin repo create bench/repo >/dev/null
REPO_DIR="$DATA/repositories/bench/repo.git"
rm -rf "$REPO_DIR/objects" "$REPO_DIR/refs"
cp -r "$WORK/source.git/objects" "$WORK/source.git/refs" "$REPO_DIR/"
[[ -f $WORK/source.git/packed-refs ]] && cp "$WORK/source.git/packed-refs" "$REPO_DIR/"
ssh-keygen -q -t ed25519 -N "" -f "$WORK/key"
"$BIN" serve >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
deadline=$((SECONDS + 60))
until curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/api/healthz" 2>/dev/null; do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.err" >&2; exit 1; }
    ((SECONDS < deadline)) || { echo "the server did not start" >&2; exit 1; }
    sleep 0.05
done
python3 - "$WORK/key.pub" >"$WORK/key.json" <<'EOF'
import json, sys
print(json.dumps({"title": "bench", "key": open(sys.argv[1]).read().strip()}))
EOF
curl -fsS -o /dev/null -H "Authorization: token $TOKEN" -H 'Content-Type: application/json' \
    --data @"$WORK/key.json" "http://127.0.0.1:$HTTP_PORT/api/v1/user/keys"

SSH_OPTS="-F /dev/null -i $WORK/key -o IdentitiesOnly=yes -o IdentityAgent=none -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes"
declare -A URL CMD
URL[ssh-builtin]="ssh://git@127.0.0.1:$SSH_PORT/bench/repo.git"
CMD[ssh-builtin]="ssh $SSH_OPTS"
URL[http]="http://127.0.0.1:$HTTP_PORT/bench/repo.git"
CMD[http]=""
URL[pipe+git]="$WORK/source.git"
CMD[pipe+git]=""
WAYS=(ssh-builtin http pipe+git)

# A private sshd serving the source repository to this user, when there is one.
if [[ -x $SSHD ]]; then
    SSHD_PORT=$(free_port)
    ssh-keygen -q -t ed25519 -N "" -f "$WORK/sshd_host_key"
    cp "$WORK/key.pub" "$WORK/authorized_keys"
    chmod 600 "$WORK/authorized_keys"
    cat >"$WORK/sshd_config" <<EOF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $WORK/sshd_host_key
AuthorizedKeysFile $WORK/authorized_keys
PidFile none
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AcceptEnv GIT_PROTOCOL
EOF
    # Run as root, sshd wants its privilege-separation directory (which the system
    # service would make on start); as any other user it needs none.
    if [[ $EUID -eq 0 && ! -d /run/sshd ]]; then
        mkdir -p -m 0755 /run/sshd
    fi
    "$SSHD" -D -e -f "$WORK/sshd_config" 2>"$WORK/sshd.err" &
    SSHD_PID=$!
    until ssh $SSH_OPTS -p "$SSHD_PORT" "$(id -un)@127.0.0.1" true 2>/dev/null; do
        kill -0 "$SSHD_PID" 2>/dev/null || { cat "$WORK/sshd.err" >&2; exit 1; }
        sleep 0.1
    done
    URL[sshd+git]="ssh://$(id -un)@127.0.0.1:$SSHD_PORT$WORK/source.git"
    CMD[sshd+git]="ssh $SSH_OPTS"
    WAYS+=(sshd+git)
else
    say "no sshd at $SSHD: the sshd+git row is skipped"
fi

clone_once() { # clone_once WAY: prints the wall time in seconds
    local way=$1 dest="$WORK/clone" start end
    rm -rf "$dest"
    start=$(date +%s.%N)
    GIT_SSH_COMMAND="${CMD[$way]:-ssh}" git -c protocol.version=2 clone -q --bare --no-local \
        "${URL[$way]}" "$dest"
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l 2>/dev/null || python3 -c "print($end - $start)"
}

declare -A TIMES
say "warming up"
for way in "${WAYS[@]}"; do clone_once "$way" >/dev/null; done
for ((i = 1; i <= RUNS; i++)); do
    say "round $i of $RUNS"
    for way in "${WAYS[@]}"; do
        TIMES[$way]+="$(clone_once "$way") "
    done
done

echo
echo "Full clone (bare, protocol v2) of make-repo.py ${REPO_ARGS:-defaults}: $OBJECTS objects, median of $RUNS"
python3 - "${WAYS[@]}" <<EOF
import statistics, sys
times = {$(for way in "${WAYS[@]}"; do printf '"%s": [%s], ' "$way" "$(echo "${TIMES[$way]}" | sed 's/ /, /g; s/, $//')"; done)}
base = statistics.median(times["ssh-builtin"])
print(f"{'way':<12} {'median s':>9} {'vs ssh-builtin':>15}")
for way in sys.argv[1:]:
    m = statistics.median(times[way])
    print(f"{way:<12} {m:>9.3f} {m / base:>14.2f}x")
EOF
