#!/usr/bin/env python3
"""Measuring helper for bench/git.sh (standard library only): runs the git client against
one server and reports wall time, server CPU time, bytes and server memory as JSON.

Server CPU is read from /proc/<pid>/stat before and after each operation:
  --kind hatchery  utime + stime of the server process (all its threads), read again once
                   it has used no CPU for 0.3 s, so work it does in the background after
                   answering (upkeep after a push) counts with the operation;
  --kind cgi       utime + stime + cutime + cstime of lighttpd: cutime/cstime hold the CPU
                   of every child it has reaped (git http-backend), which includes what
                   their own reaped children used (upload-pack, pack-objects, receive-pack,
                   index-pack). The "after" value is read once lighttpd has no children
                   left, so every CGI of the operation has been reaped and counted.

Every command takes one or more --target NAME=KIND:PID:URL (KIND hatchery or cgi, PID the
server process) and alternates its runs between the targets (A B, B A, A B, ...) so that
noise from other work on the machine hits them alike; the result is one JSON object with
an entry per target.

  git.py clone --target ... --runs N [--proto 2]
      N full clones (git clone --bare -q): median wall and server CPU, and the bytes of the
      pack received (the .pack file of the bare clone; a clone's pack is not thin, so it is
      stored as received).
  git.py fetch BASE --target ... --runs N
      N fetches of every branch and tag into a fresh copy of the bare repository BASE
      (copied before the clock starts): median wall and CPU; pack bytes as received, from
      GIT_TRACE_PACKFILE (before index-pack completes a thin pack).
  git.py push SRC --target ... --runs N
      Push every branch and tag of SRC to the target's URL, where {i} is replaced by the
      run number so that each run pushes to a different empty repository.
  git.py concurrent --target ... --clones 8
      For each target in turn, that many clones at once, while the resident memory of the
      server (the process and all its descendants, VmRSS summed, and RssAnon summed) is
      sampled every 50 ms: peaks, and VmHWM of a hatchery server process.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    # The command name may contain spaces; fields after it are space separated.
    return text[text.rindex(")") + 2 :].split()


def children(pid):
    """Direct and indirect descendants of pid."""
    parent_of = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            parent_of[int(entry)] = int(stat_fields(entry)[1])
        except (OSError, ValueError, IndexError):
            continue
    out, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        for c, pp in parent_of.items():
            if pp == p:
                out.append(c)
                frontier.append(c)
    return out


def cpu_seconds(pid, kind):
    f = stat_fields(pid)
    # Fields after the name start at field 3 (state): utime is field 14, so index 11.
    utime, stime, cutime, cstime = (int(x) for x in f[11:15])
    total = utime + stime
    if kind == "cgi":
        total += cutime + cstime
    return total / TICK


def settle(pid, kind):
    """Wait until the server is done with the last operation: every CGI child exited and
    reaped (at most 10 s); for Hatchery, until its CPU time stops growing for 0.3 s (at
    most 60 s), so upkeep it runs after a push (commit-graph, pack merging) is counted
    with the push that caused it and not in the next measurement."""
    if kind != "cgi":
        deadline = time.monotonic() + 60
        last, quiet_since = cpu_seconds(pid, kind), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = cpu_seconds(pid, kind)
            if now > last + 0.005:
                last, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since >= 0.3:
                return
        return
    deadline = time.monotonic() + 10
    while children(pid) and time.monotonic() < deadline:
        time.sleep(0.01)


def rss_kib(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(cmd, env=None, cwd=None):
    r = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit(f"git.py: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr.decode(errors='replace')}")


def pack_bytes(bare):
    d = os.path.join(bare, "objects", "pack")
    return sum(os.path.getsize(os.path.join(d, p)) for p in os.listdir(d) if p.endswith(".pack"))


def timed(pid, kind, cmd, env=None):
    settle(pid, kind)
    c0 = cpu_seconds(pid, kind)
    t0 = time.perf_counter()
    run(cmd, env=env)
    wall = time.perf_counter() - t0
    settle(pid, kind)
    return wall, cpu_seconds(pid, kind) - c0


def git_env():
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("GIT_"):
            del env[k]
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


class Target:
    """NAME=KIND:PID:URL; in URL, {i} is replaced by the run number (from 1)."""

    def __init__(self, spec):
        self.name, rest = spec.split("=", 1)
        self.kind, pid, self.url = rest.split(":", 2)
        self.pid = int(pid)
        self.walls, self.cpus, self.sizes = [], [], []

    def record(self, wall, cpu, size=None):
        self.walls.append(wall)
        self.cpus.append(cpu)
        if size is not None:
            self.sizes.append(size)

    def summary(self):
        out = {
            "wall": statistics.median(self.walls),
            "cpu": statistics.median(self.cpus),
            "walls": [round(w, 3) for w in self.walls],
            "cpus": [round(c, 3) for c in self.cpus],
        }
        if self.sizes:
            out["bytes"] = statistics.median(self.sizes)
            if len(set(self.sizes)) != 1:
                print(f"git.py: {self.name}: sizes differ between runs: {self.sizes}",
                      file=sys.stderr)
        return out


def alternate(a, one):
    """Run `one(target, i, dest)` runs times per target, alternating the targets so that
    machine noise hits them alike."""
    targets = [Target(t) for t in a.target]
    for i in range(1, a.runs + 1):
        order = targets if i % 2 else list(reversed(targets))
        for t in order:
            dest = os.path.join(a.work, f"{t.name}-{i}.git")
            shutil.rmtree(dest, ignore_errors=True)
            one(t, i, dest)
            shutil.rmtree(dest, ignore_errors=True)
    return {t.name: t.summary() for t in targets}


def cmd_clone(a):
    def one(t, i, dest):
        cmd = ["git", "-c", f"protocol.version={a.proto}", "clone", "--bare", "-q", t.url, dest]
        w, c = timed(t.pid, t.kind, cmd, env=git_env())
        t.record(w, c, pack_bytes(dest))

    return alternate(a, one)


def cmd_fetch(a):
    def one(t, i, dest):
        shutil.copytree(a.base, dest, symlinks=True)
        trace = dest + ".packtrace"
        env = git_env()
        env["GIT_TRACE_PACKFILE"] = trace
        cmd = ["git", "-C", dest, "-c", f"protocol.version={a.proto}", "fetch", "-q", t.url,
               "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
        w, c = timed(t.pid, t.kind, cmd, env=env)
        size = os.path.getsize(trace) if os.path.exists(trace) else 0
        if os.path.exists(trace):
            os.remove(trace)
        t.record(w, c, size)

    return alternate(a, one)


def cmd_push(a):
    def one(t, i, dest):
        cmd = ["git", "-C", a.src, "push", "-q", t.url.replace("{i}", str(i)),
               "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"]
        w, c = timed(t.pid, t.kind, cmd, env=git_env())
        t.record(w, c)

    return alternate(a, one)


def concurrent_one(a, t):
    stop = threading.Event()
    peak = {"rss": 0, "anon": 0, "processes": 0}

    def sample():
        while not stop.is_set():
            pids = [t.pid] + children(t.pid)
            rss = sum(rss_kib(p) for p in pids)
            anon = sum(rss_kib(p, "RssAnon") for p in pids)
            if rss > peak["rss"]:
                peak["rss"], peak["processes"] = rss, len(pids)
            peak["anon"] = max(peak["anon"], anon)
            stop.wait(0.05)

    settle(t.pid, t.kind)
    before = rss_kib(t.pid)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    c0 = cpu_seconds(t.pid, t.kind)
    t0 = time.perf_counter()
    procs, dests = [], []
    for i in range(a.clones):
        dest = os.path.join(a.work, f"{t.name}-concurrent-{i}.git")
        shutil.rmtree(dest, ignore_errors=True)
        dests.append(dest)
        procs.append(subprocess.Popen(
            ["git", "-c", f"protocol.version={a.proto}", "clone", "--bare", "-q", t.url, dest],
            env=git_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    failed = []
    for p in procs:
        _, err = p.communicate(timeout=3600)
        if p.returncode != 0:
            failed.append(err.decode(errors="replace"))
    wall = time.perf_counter() - t0
    settle(t.pid, t.kind)
    cpu = cpu_seconds(t.pid, t.kind) - c0
    stop.set()
    sampler.join()
    if failed:
        sys.exit(f"git.py: concurrent clones from {t.name} failed:\n" + "\n".join(failed))
    sizes = [pack_bytes(d) for d in dests]
    for d in dests:
        shutil.rmtree(d, ignore_errors=True)
    return {
        "wall": wall,
        "cpu": cpu,
        "rss_before_kib": before,
        "peak_rss_kib": peak["rss"],
        "peak_anon_kib": peak["anon"],
        "peak_processes": peak["processes"],
        "vmhwm_kib": rss_kib(t.pid, "VmHWM") if t.kind == "hatchery" else None,
        "bytes": statistics.median(sizes),
    }


def cmd_concurrent(a):
    return {t.name: concurrent_one(a, t) for t in (Target(s) for s in a.target)}


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--target", action="append", required=True,
                       help="NAME=KIND:PID:URL (KIND: hatchery or cgi)")
        p.add_argument("--proto", default="2")
        p.add_argument("--runs", type=int, default=5)
        p.add_argument("--work", default=None)

    common(sub.add_parser("clone"))
    p = sub.add_parser("fetch")
    p.add_argument("base")
    common(p)
    p = sub.add_parser("push")
    p.add_argument("src")
    common(p)
    p = sub.add_parser("concurrent")
    p.add_argument("--clones", type=int, default=8)
    common(p)
    a = ap.parse_args()
    own_work = a.work is None
    if own_work:
        a.work = tempfile.mkdtemp(prefix="hatchery-gitbench-")
    try:
        result = {"clone": cmd_clone, "fetch": cmd_fetch, "push": cmd_push,
                  "concurrent": cmd_concurrent}[a.cmd](a)
    finally:
        if own_work:
            shutil.rmtree(a.work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
