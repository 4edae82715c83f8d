#!/usr/bin/env bash
# Web pages benchmark (issue 4, "Measure"), recorded in BENCHMARKS.md ("## Web pages"):
# Hatchery's code pages against cgit (CGI under lighttpd, started by ../shared/bench/peers.sh),
# same machine, same run, same repository.
#
#   (a) make-repo.py's default repository (2000 commits, 400 files): for the repository home
#       (root tree), a subdirectory tree, a file view (the median-size .rs file at main), the
#       history of main and a commit page (a first-parent commit in the middle of history):
#       wrk, 8 connections, 2 threads; per page a warm-up of WARMUP s on each server, then
#       DURATION s on each in two halves alternating Hatchery, cgit, cgit, Hatchery (so load
#       from other work on the shared machine falls on both alike): requests/s over both
#       halves, the worse p99 of the two (wrk --latency); the ratio of requests/s (goal ≥ 10x
#       cgit). Also the first request of each page (curl, total time), before any cache.
#   (b) a larger repository (--commits 50000 --files 400): time to first byte (curl
#       %{time_starttransfer}) of the history of one file (/commits/main/<path>) and blame of
#       that file (/blame/main/<path>), TTFB_RUNS requests each, sequential: cold = the first
#       request after a fresh server start (process cold; the OS page cache is warm), warm =
#       median of the rest (goal ≤ 200 ms); blame of five other files, once each on a warm
#       process (the rendered blame is cached by commit ids, so "warm" for one file is a cache
#       hit). Twice: with the commit-graph git gc wrote (no changed-path Bloom filters), as
#       copied in; then after Hatchery's own upkeep wrote its commit-graph (the copied file is
#       removed, one read triggers the upkeep, the script waits for the file) and, on cgit's
#       copy, `git commit-graph write --reachable --changed-paths`.
#       cgit's log of the same path (and tree) is shown for reference.
#
# Repositories are generated once and cached under target/bench-repos/ (same keys as
# bench/git.sh). Every URL is checked first: status 200 and a marker of real content (a line of
# the file, the commit's subject, ...); a page whose route does not exist (yet) is reported as
# such, never benchmarked.
#
#   bench/pages.sh
#
# Knobs (environment): PEERS (path of peers.sh; default ../shared/bench/peers.sh from the
# repository root), MAKE_REPO, SMALL_ARGS (default none), LARGE_ARGS ("--commits 50000
# --files 400"; empty string skips (b)), DURATION (10), WARMUP (2), CONNECTIONS (8),
# THREADS (2), TTFB_RUNS (5), BENCH_REPOS (cache folder), NO_BUILD=1 (use the existing
# release binary), BIN (a built server binary instead, e.g. a copy of an older build to
# compare).
# Needs git, python3, curl and wrk (apt-get install -y wrk); peers.sh installs lighttpd and
# cgit when they are missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS=${PEERS:-$ROOT/../shared/bench/peers.sh}
MAKE_REPO=${MAKE_REPO:-$(dirname "$PEERS")/make-repo.py}
SMALL_ARGS=${SMALL_ARGS-}
LARGE_ARGS=${LARGE_ARGS---commits 50000 --files 400}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-2}
TTFB_RUNS=${TTFB_RUNS:-5}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BENCH_REPOS=${BENCH_REPOS:-$TARGET_DIR/bench-repos}
CURL_MAX=120 # seconds, per request

say() { echo "== $(date +%T) $*" >&2; }
die() { echo "pages.sh: $*" >&2; exit 1; }

for tool in git python3 curl wrk; do
    command -v "$tool" >/dev/null || die "$tool is needed${tool/wrk/ (apt-get install -y wrk)}"
done
[[ -f $PEERS ]] || die "peers.sh not found at $PEERS (set PEERS)"
[[ -f $MAKE_REPO ]] || die "make-repo.py not found at $MAKE_REPO (set MAKE_REPO)"

if [[ -z ${NO_BUILD:-} && -z ${BIN:-} ]]; then
    say "cargo build --release -p hatchery"
    cargo build --release -p hatchery --manifest-path "$ROOT/Cargo.toml" >&2
fi
BIN=${BIN:-$TARGET_DIR/release/hatchery}
[[ -x $BIN ]] || die "no release binary at $BIN"

WORK=$(mktemp -d -t hatchery-pagesbench.XXXXXX)
SERVER_PID=""
PEER_PIDS=""
cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ -n $PEER_PIDS ]]; then
        # shellcheck disable=SC2086
        bash "$PEERS" stop $PEER_PIDS || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Only the configuration this script sets.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(HATCHERY__[^=]*\)=.*/\1/p')
unset RUST_LOG
for name in $(env | sed -n 's/^\(GIT_[^=]*\)=.*/\1/p'); do unset "$name"; done

# ---------------------------------------------------------------------------------------
# Repositories: generated once per (arguments, generator) and cached (as bench/git.sh does).

repo_for() {
    local args=$1 key gen
    gen=$(sha256sum "$MAKE_REPO" | cut -c1-10)
    key=$(sed -E 's/^ +//; s/ +$//; s/--//g; s/ +/-/g' <<<"$args" | tr -cd 'A-Za-z0-9_.-')
    [[ -n $key ]] || key=default
    local out="$BENCH_REPOS/$key-$gen.git"
    if [[ ! -e $out.complete ]]; then
        say "generating a repository: make-repo.py $args (cached as $out)"
        mkdir -p "$BENCH_REPOS"
        rm -rf "$out" "$out.tmp"
        # shellcheck disable=SC2086
        python3 "$MAKE_REPO" "$out.tmp" $args >&2
        mv "$out.tmp" "$out"
        touch "$out.complete"
    fi
    echo "$out"
}

declare -A SRC
SRC[small]=$(repo_for "$SMALL_ARGS")
LABELS=(small)
if [[ -n $LARGE_ARGS ]]; then
    SRC[large]=$(repo_for "$LARGE_ARGS")
    LABELS+=(large)
fi

# ---------------------------------------------------------------------------------------
# Servers: Hatchery with a user `bench` owning public repositories `small` and `large`, and
# cgit on copies of the same repositories.

DATA="$WORK/hatchery"
PEER_ROOT="$WORK/peer"
mkdir -p "$DATA" "$PEER_ROOT"
export HATCHERY__DATA_DIR="$DATA" HATCHERY__SERVER__LISTEN=127.0.0.1:0
# wrk asks for one URL from one address thousands of times: the crawler budget for
# history, blame and commit pages (rate_limit.*) would answer 429, as bench/lib.sh knows.
export HATCHERY__RATE_LIMIT__ENABLED=false
printf 'bench password / 1\n' >"$WORK/password"
"$BIN" admin user create --username bench --email b@x.org --password-file "$WORK/password" >/dev/null

say "preparing the repositories on both servers"
for label in "${LABELS[@]}"; do
    "$BIN" admin repo create "bench/$label" >/dev/null
    dir="$DATA/repositories/bench/$label.git"
    [[ -d $dir ]] || die "admin repo create did not make $dir"
    rm -rf "$dir"
    cp -r "${SRC[$label]}" "$dir"
    [[ $(git --git-dir="$dir" symbolic-ref HEAD) == refs/heads/main ]] || die "HEAD of $dir is not refs/heads/main"
    cp -r "${SRC[$label]}" "$PEER_ROOT/$label.git"
done

# Starts `hatchery serve` on a free port; sets SERVER_PID and URL once it answers.
start_server() {
    local log="$WORK/serve.$RANDOM" deadline=$((SECONDS + 60))
    : >"$log.out" # before the background job's own redirection, which may come later
    "$BIN" serve >"$log.out" 2>"$log.err" &
    SERVER_PID=$!
    URL=""
    while [[ -z $URL ]]; do
        URL=$(sed -n 's#.* is running at \(http://[^/]*\)/.*#\1#p' "$log.out" | head -n 1)
        if [[ -z $URL ]]; then
            kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log.err" >&2; die "the server exited"; }
            ((SECONDS < deadline)) || die "the server did not start"
            sleep 0.01
        fi
    done
    until curl -fsS -o /dev/null "$URL/api/healthz"; do
        ((SECONDS < deadline)) || die "the server never became healthy"
        sleep 0.01
    done
}
stop_server() {
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
    SERVER_PID=""
}
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server
PORT_GIT=$(free_port)
PORT_CGIT=$(free_port)
while [[ $PORT_CGIT == "$PORT_GIT" ]]; do PORT_CGIT=$(free_port); done
say "starting cgit under lighttpd: $PEERS"
PEER_PIDS=$(bash "$PEERS" start "$PEER_ROOT" "$PORT_GIT" "$PORT_CGIT" | tail -n 1)
[[ $PEER_PIDS == git=*cgit=* ]] || die "peers.sh did not start: $PEER_PIDS"
CGIT="http://127.0.0.1:$PORT_CGIT"

# ---------------------------------------------------------------------------------------
# What to fetch, from the small repository.

S=${SRC[small]}
g() { git --git-dir="$S" "$@"; }
# The median-size .rs file below a subdirectory at main.
FILE=$(g ls-tree -r -l main | awk '$5 ~ /\/.*\.rs$/ {print $4, $5}' | sort -n | awk '{a[NR] = $2} END {print a[int((NR + 1) / 2)]}')
FILE_BYTES=$(g cat-file -s "main:$FILE")
FILE_LINES=$(g cat-file -p "main:$FILE" | wc -l)
FILE_MARK=$(g cat-file -p "main:$FILE" | awk 'length($0) > 20 {print; exit}')
TREE_DIR=src
TREE_ENTRIES=$(g ls-tree "main:$TREE_DIR" | wc -l)
TIP_SUBJECT=$(g log -1 --format=%s main | cut -d: -f1):
mapfile -t FIRST_PARENT < <(g rev-list --first-parent main)
MID=${FIRST_PARENT[$((${#FIRST_PARENT[@]} / 2))]}
MID_SUBJECT=$(g log -1 --format=%s "$MID" | cut -d: -f1):
MID_FILES=$(g diff-tree --no-commit-id --name-only -r "$MID" | wc -l)
COMMITS=${#FIRST_PARENT[@]}

# name | Hatchery path | cgit path | marker expected in both bodies
PAGES=(
    "home (root tree)|/bench/small|/small.git/tree/|/src"
    "tree of $TREE_DIR/ ($TREE_ENTRIES entries)|/bench/small/tree/main/$TREE_DIR|/small.git/tree/$TREE_DIR|/$TREE_DIR/m9"
    "file view ($FILE_LINES lines, $((FILE_BYTES / 1024)) KiB)|/bench/small/blob/main/$FILE|/small.git/tree/$FILE|$FILE_MARK"
    "history of main (50 commits)|/bench/small/commits/main|/small.git/log/|$TIP_SUBJECT"
    "commit page ($MID_FILES files changed)|/bench/small/commit/$MID|/small.git/commit/?id=$MID|$MID_SUBJECT"
    # Not a code page: what a Hatchery page costs with a database lookup and the layout but
    # no git work, against cgit's home; the ceiling the code pages can approach.
    "reference: Hatchery's profile page /bench (no git) vs cgit home|/bench|/small.git/tree/|small"
)

# Fetches URL; prints "STATUS SECONDS_TOTAL SECONDS_TTFB" and leaves the body in $WORK/body.
fetch() {
    curl -s --max-time "$CURL_MAX" -o "$WORK/body" -w '%{http_code} %{time_total} %{time_starttransfer}\n' "$1" ||
        echo "000 0 0"
}

# Whether the last body holds MARKER, as is or once tags are removed (highlighted code).
has_mark() {
    (($(wc -c <"$WORK/body") > 500)) || return 1
    grep -qF -- "$1" "$WORK/body" || sed 's/<[^>]*>//g' "$WORK/body" | grep -qF -- "$1"
}

# check URL MARKER: "ok SECONDS" when 200 with the marker in the body, else "no STATUS".
check() {
    local out status
    out=$(fetch "$1")
    status=${out%% *}
    if [[ $status == 200 ]] && has_mark "$2"; then
        echo "ok $(cut -d' ' -f2 <<<"$out")"
    else
        echo "no $status"
    fi
}

# wrk output -> "REQUESTS SECONDS P99_MS NON2XX ERRORS"
parse_wrk() {
    awk '
        function ms(v) {
            if (v ~ /us$/) return v * 0.001;
            if (v ~ /ms$/) return v + 0;
            if (v ~ /m$/) return v * 60000;
            if (v ~ /s$/) return v * 1000;
            return v + 0;
        }
        /^ +99%/ { p99 = ms($2) }
        / requests in / { n = $1; secs = ms(substr($4, 1, length($4) - 1)) / 1000 }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        /Socket errors:/ { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
        END { printf "%d %.3f %.3f %d %d\n", n, secs, p99, bad, err }
    '
}

wrk_run() { # wrk_run URL SECONDS -> "REQUESTS SECONDS P99_MS NON2XX ERRORS"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${2}s" --latency "$1" | tee -a "$WORK/wrk.log" | parse_wrk
}

# Both servers alternate, A B B A, half of DURATION each time, after a warm-up of each, so
# that load from other work on the machine falls on both alike. Prints, per server,
# "RPS P99_MS NON2XX ERRORS": requests/s over both halves, the worse p99 of the two.
bench_pair() { # bench_pair HATCHERY_URL CGIT_URL
    local half=$(((DURATION + 1) / 2)) a1 b1 b2 a2
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$1" >/dev/null
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$2" >/dev/null
    a1=$(wrk_run "$1" "$half")
    b1=$(wrk_run "$2" "$half")
    b2=$(wrk_run "$2" "$half")
    a2=$(wrk_run "$1" "$half")
    combine() {
        awk '{n += $1; s += $2; if ($3 > p) p = $3; bad += $4; err += $5}
             END {printf "%.1f %.3f %d %d\n", n / s, p, bad, err}'
    }
    printf '%s\n%s\n' "$a1" "$a2" | combine
    printf '%s\n%s\n' "$b1" "$b2" | combine
}

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for entry in "${PAGES[@]}"; do
    IFS='|' read -r name hpath cpath mark <<<"$entry"
    h=$(check "$URL$hpath" "$mark")
    c=$(check "$CGIT$cpath" "$mark")
    if [[ $h != ok* ]]; then
        say "$name: Hatchery answers ${h#no } at $hpath; not measured"
        printf '%s\t%s\t%s\tmissing %s\n' "$name" "$hpath" "$cpath" "${h#no }" >>"$RESULTS"
        continue
    fi
    [[ $c == ok* ]] || die "cgit answers ${c#no } at $cpath (marker: $mark)"
    say "$name: Hatchery $hpath, cgit $cpath"
    pair=$(bench_pair "$URL$hpath" "$CGIT$cpath")
    hr=$(sed -n 1p <<<"$pair")
    cr=$(sed -n 2p <<<"$pair")
    say "$name: Hatchery $hr; cgit $cr"
    printf '%s\t%s\t%s\tok\t%s\t%s\t%s\t%s\n' "$name" "$hpath" "$cpath" "${h#ok }" "${c#ok }" "$hr" "$cr" >>"$RESULTS"
done

# ---------------------------------------------------------------------------------------
# Time to first byte on the large repository.

TTFB="$WORK/ttfb.tsv"
: >"$TTFB"
if [[ -n ${SRC[large]:-} ]]; then
    L=${SRC[large]}
    LCOMMITS=$(git --git-dir="$L" rev-list --count main)
    # A file of the first commit, in a subdirectory, changed a typical number of times: the
    # median over the files of the first commit's m0 directories.
    LFILE=$(git --git-dir="$L" ls-tree -r --name-only main -- src/m0 | head -n 1)
    LFILE_CHANGES=$(git --git-dir="$L" rev-list --count main -- "$LFILE")
    LFILE_LINES=$(git --git-dir="$L" cat-file -p "main:$LFILE" | wc -l)
    LMARK=$(git --git-dir="$L" log -1 --format=%s main -- "$LFILE" | cut -d: -f1):
    LLINE=$(git --git-dir="$L" cat-file -p "main:$LFILE" | awk 'length($0) > 20 {print; exit}')
    LDIR=$(dirname "$LFILE")
    # Five other files of the first commit (m1..m5), each blamed once on a warm process: the
    # rendered blame is cached by commit ids, so repeating one file measures the cache only.
    mapfile -t OTHER_FILES < <(for m in 1 2 3 4 5; do git --git-dir="$L" ls-tree -r --name-only main -- "src/m$m" | head -n 1; done)
    TTFB_PAGES=(
        "history of $LFILE ($LFILE_CHANGES changes)|/bench/large/commits/main/$LFILE|$LMARK|/large.git/log/$LFILE"
        "blame of $LFILE ($LFILE_LINES lines)|/bench/large/blame/main/$LFILE|$LLINE|"
        "blame of 5 other files, each requested once|/bench/large/blame/main/|<many>|"
        "tree of $LDIR/ (last commit per entry)|/bench/large/tree/main/$LDIR|${LFILE##*/}|/large.git/tree/$LDIR"
    )
    # ttfb_pass VARIANT: every TTFB page on a freshly started server.
    ttfb_pass() {
        local variant=$1 entry name hpath mark cpath times ctimes status out code i f
        for entry in "${TTFB_PAGES[@]}"; do
            IFS='|' read -r name hpath mark cpath <<<"$entry"
            say "TTFB ($variant): $name"
            stop_server
            start_server
            times=()
            status=ok
            if [[ $mark == "<many>" ]]; then
                # Process warm: one request to another page first; then each file once.
                fetch "$URL/bench/large" >/dev/null
                times+=(-)
                for f in "${OTHER_FILES[@]}"; do
                    out=$(fetch "$URL$hpath$f")
                    code=${out%% *}
                    if [[ $code != 200 ]] || ! has_mark "$(git --git-dir="$L" cat-file -p "main:$f" | awk 'length($0) > 20 {print; exit}')"; then
                        status="missing $code"
                        [[ $code == 200 ]] && status="no content"
                        break
                    fi
                    times+=("$(cut -d' ' -f3 <<<"$out")")
                done
            else
                for ((i = 1; i <= TTFB_RUNS; i++)); do
                    out=$(fetch "$URL$hpath")
                    code=${out%% *}
                    if [[ $code != 200 ]] || ! has_mark "$mark"; then
                        status="missing $code"
                        [[ $code == 200 ]] && status="no content"
                        break
                    fi
                    times+=("$(cut -d' ' -f3 <<<"$out")")
                done
            fi
            ctimes=()
            if [[ -n $cpath ]]; then
                c=$(check "$CGIT$cpath" "$mark")
                [[ $c == ok* ]] || die "cgit answers ${c#no } at $cpath"
                for ((i = 1; i <= TTFB_RUNS; i++)); do
                    out=$(fetch "$CGIT$cpath")
                    ctimes+=("$(cut -d' ' -f3 <<<"$out")")
                done
            fi
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$name" "$hpath" "$status" "${times[*]:-}" "${ctimes[*]:-}" >>"$TTFB"
            if [[ $status != ok ]]; then say "$name: $status at $hpath; not measured"; fi
        done
    }
    ttfb_pass "as copied in: the commit-graph git gc wrote, without changed-path Bloom filters"
    # Hatchery's own upkeep: a repository without a commit-graph gets one (with changed-path
    # Bloom filters) in the background on its first read. Remove the copied file, read once,
    # wait (bounded) for the new file; cgit's copy gets git's equivalent.
    HL="$DATA/repositories/bench/large.git"
    rm -rf "$HL/objects/info/commit-graph" "$HL/objects/info/commit-graphs"
    stop_server
    start_server
    say "waiting for Hatchery's first-read upkeep to write the commit-graph of the large repository"
    t0=$SECONDS
    fetch "$URL/bench/large" >/dev/null
    until [[ -f $HL/objects/info/commit-graph ]]; do
        ((SECONDS - t0 < 600)) || die "Hatchery wrote no commit-graph within 600 s"
        sleep 0.2
    done
    UPKEEP_SECS=$((SECONDS - t0))
    grep -qa BDAT "$HL/objects/info/commit-graph" || die "Hatchery's commit-graph has no Bloom filters"
    git --git-dir="$PEER_ROOT/large.git" commit-graph write --reachable --changed-paths
    ttfb_pass "after Hatchery's first-read upkeep wrote its commit-graph with Bloom filters (cgit: git commit-graph write --changed-paths)"
fi
stop_server

# ---------------------------------------------------------------------------------------
# The tables.

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
CGIT_VERSION=$(dpkg-query -W -f='${Version}' cgit 2>/dev/null || echo unknown)
echo
echo "Hatchery $("$BIN" --version | awk '{print $2}') ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- crates 2>/dev/null || echo ' + uncommitted changes')), cgit $CGIT_VERSION (CGI under lighttpd $(lighttpd -v 2>/dev/null | sed -n 's/^lighttpd\/\([^ ]*\).*/\1/p'), cache-size=0), wrk $CONNECTIONS connections $THREADS threads, per page and server ${WARMUP} s warm-up + 2 × $(((DURATION + 1) / 2)) s alternating (A B B A), $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(uname -sr); load average (1, 5, 15 min) $LOAD_START at the start, $LOAD_END at the end"
echo
echo "Repository (a): make-repo.py ${SMALL_ARGS:-(defaults)}: $COMMITS first-parent commits on main; file: $FILE; commit: ${MID:0:10}"
echo
python3 - "$RESULTS" <<'PY'
import sys
def f1(v): return f"{float(v):,.0f}"
def ms(v): return f"{float(v):.1f} ms" if float(v) < 100 else f"{float(v):.0f} ms"
print("| Page (repository a) | Hatchery req/s | cgit req/s | Ratio | Goal | Hatchery p99 | cgit p99 | First request: Hatchery / cgit | |")
print("|---|---|---|---|---|---|---|---|---|")
for line in open(sys.argv[1]):
    p = line.rstrip("\n").split("\t")
    name = p[0]
    if p[3] != "ok":
        print(f"| {name} | — | — | — | ≥ 10x | — | — | — | **not measured: Hatchery answers {p[3].split()[1]} at `{p[1]}`** |")
        continue
    h_first, c_first = float(p[4]) * 1000, float(p[5]) * 1000
    hr, hp, hb, he = p[6].split()
    cr, cp, cb, ce = p[7].split()
    ratio = float(hr) / float(cr)
    reference = name.startswith("reference")
    verdict = "(reference)" if reference else "pass" if ratio >= 10 else "**miss**"
    notes = []
    if int(hb) or int(he): notes.append(f"Hatchery: {hb} non-2xx, {he} socket errors")
    if int(cb) or int(ce): notes.append(f"cgit: {cb} non-2xx, {ce} socket errors")
    if notes: verdict = "unreliable: " + "; ".join(notes) + f" (would be {verdict})"
    print(f"| {name} | {f1(hr)} | {f1(cr)} | {ratio:.1f}x | {'' if reference else '≥ 10x'} | {ms(hp)} | {ms(cp)} | {ms(h_first)} / {ms(c_first)} | {verdict} |")
PY
if [[ -s $TTFB ]]; then
    echo
    echo "Repository (b): make-repo.py $LARGE_ARGS: $LCOMMITS commits on main. Cold: the first request after the server starts (the OS page cache is warm); warm: median of the next $((TTFB_RUNS - 1)). cgit: median of $TTFB_RUNS. Hatchery's upkeep took ${UPKEEP_SECS:-?} s (first read to commit-graph written)."
    python3 - "$TTFB" <<'PY'
import statistics, sys
def ms(v): return f"{v * 1000:.0f} ms" if v >= 0.1 else f"{v * 1000:.1f} ms"
variant = None
for line in open(sys.argv[1]):
    var, name, path, status, times, ctimes = (line.rstrip("\n").split("\t") + [""] * 6)[:6]
    if var != variant:
        variant = var
        print()
        print(f"| Time to first byte, 50k commits; {var} | Hatchery cold | Hatchery warm (median) | Hatchery median of all | Goal | cgit (median) | |")
        print("|---|---|---|---|---|---|---|")
    c = [float(x) for x in ctimes.split()]
    cmed = ms(statistics.median(c)) if c else "—"
    goal = not name.startswith("tree")
    if status != "ok":
        print(f"| {name} | — | — | — | {'≤ 200 ms' if goal else ''} | {cmed} | **not measured: {status} at `{path}`** |")
        continue
    parts = times.split()
    if parts[0] == "-":  # each request a different file, process warm: no cold value
        t = [float(x) for x in parts[1:]]
        cold, warm = None, t
    else:
        t = [float(x) for x in parts]
        cold, warm = t[0], (t[1:] or t[:1])
    wmed = statistics.median(warm)
    allmed = statistics.median(t)
    if not goal:
        verdict = "(no goal)"
    elif wmed > 0.2:
        verdict = "**miss**"
    elif cold is not None and cold > 0.2:
        verdict = "**miss (cold)**"
    elif cold is None and max(t) > 0.2:
        verdict = f"pass (median; max {ms(max(t))})"
    else:
        verdict = "pass"
    print(f"| {name} | {ms(cold) if cold is not None else '—'} | {ms(wmed)} | {ms(allmed)} | {'≤ 200 ms' if goal else ''} | {cmed} | {verdict} |")
PY
fi
