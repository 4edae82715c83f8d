#!/usr/bin/env python3
"""Measuring helper for bench/memory.sh (standard library only): the memory of one server
process, read from /proc/PID/status and /proc/PID/smaps_rollup, as JSON (KiB).

  memory.py snapshot PID
      VmRSS, VmHWM, RssAnon, RssFile, RssShmem and, from smaps_rollup, Pss, Anonymous,
      Private_Dirty of the process now.
  memory.py load PID --after 5,30,60 --cmd 'git clone ...' [--cmd ...]
      Runs every --cmd at once (a shell command each) while VmRSS and RssAnon are sampled
      every 20 ms; once all have finished: the sampled peaks, VmHWM, the wall time, and a
      snapshot at each --after second counted from the end of the last command.
  memory.py mappings PID
      Prints VmRSS, RssAnon and RssFile, then Rss and Anonymous per kind of mapping
      (file and permissions, anonymous memory together), in MiB.
  memory.py settle PID
      Waits until the process has used no CPU for 1 s (at most 600 s): the upkeep a push
      starts in the background (commit-graph, pack merging) is over.
"""

import argparse
import json
import subprocess
import sys
import threading
import time

STATUS_FIELDS = ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem")
ROLLUP_FIELDS = ("Pss", "Anonymous", "Private_Dirty")


def read_fields(path, wanted):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name in wanted:
                    out[name] = int(rest.split()[0])
    except OSError:
        pass
    return out


def status(pid, wanted=STATUS_FIELDS):
    return read_fields(f"/proc/{pid}/status", wanted)


def snapshot(pid):
    s = status(pid)
    rollup = read_fields(f"/proc/{pid}/smaps_rollup", ROLLUP_FIELDS)
    s.update({"smaps_" + k: v for k, v in rollup.items()})
    return s


def cmd_load(a):
    stop = threading.Event()
    peak = {"rss": 0, "anon": 0}

    def sample():
        while not stop.is_set():
            s = status(a.pid, ("VmRSS", "RssAnon"))
            peak["rss"] = max(peak["rss"], s.get("VmRSS", 0))
            peak["anon"] = max(peak["anon"], s.get("RssAnon", 0))
            stop.wait(0.02)

    before = snapshot(a.pid)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.monotonic()
    procs = [subprocess.Popen(c, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for c in a.cmd]
    failed = []
    for p in procs:
        _, err = p.communicate(timeout=3600)
        if p.returncode != 0:
            failed.append(err.decode(errors="replace"))
    end = time.monotonic()
    stop.set()
    sampler.join()
    if failed:
        sys.exit("memory.py: a command failed:\n" + "\n".join(failed))
    result = {
        "wall": end - t0,
        "before": before,
        "peak_rss": peak["rss"],
        "peak_anon": peak["anon"],
        "vmhwm": status(a.pid).get("VmHWM", 0),
        "after": {},
    }
    for secs in sorted(float(x) for x in a.after.split(",") if x):
        wait = end + secs - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        result["after"][f"{secs:g}"] = snapshot(a.pid)
    return result


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def cmd_settle(pid):
    deadline = time.monotonic() + 600
    last, quiet_since = cpu_ticks(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = cpu_ticks(pid)
        if now != last:
            last, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= 1.0:
            return


def cmd_mappings(pid):
    s = status(pid)
    print(f"VmRSS {s['VmRSS'] / 1024:.1f} MiB, RssAnon {s['RssAnon'] / 1024:.1f} MiB, "
          f"RssFile {s['RssFile'] / 1024:.1f} MiB")
    kinds = {}
    key = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and not parts[0].endswith(":"):
                name = parts[5].rsplit("/", 1)[-1] if len(parts) > 5 else "[anonymous]"
                key = (name, parts[1])
                kinds.setdefault(key, [0, 0, 0])
                lo, hi = parts[0].split("-")
                kinds[key][0] += (int(hi, 16) - int(lo, 16)) // 1024
            elif parts[0] == "Rss:":
                kinds[key][1] += int(parts[1])
            elif parts[0] == "Anonymous:":
                kinds[key][2] += int(parts[1])
    print("| Mapping | Size | Rss | Anonymous |")
    print("|---|---|---|---|")
    for (name, perm), (size, rss, anon) in sorted(kinds.items(), key=lambda kv: -kv[1][1]):
        if rss >= 100:
            print(f"| {name} {perm} | {size / 1024:.1f} | {rss / 1024:.1f} | {anon / 1024:.1f} |")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd_name", required=True)
    p = sub.add_parser("snapshot")
    p.add_argument("pid", type=int)
    p = sub.add_parser("mappings")
    p.add_argument("pid", type=int)
    p = sub.add_parser("settle")
    p.add_argument("pid", type=int)
    p = sub.add_parser("load")
    p.add_argument("pid", type=int)
    p.add_argument("--after", default="5,30,60")
    p.add_argument("--cmd", action="append", required=True)
    a = ap.parse_args()
    if a.cmd_name == "snapshot":
        print(json.dumps(snapshot(a.pid)))
    elif a.cmd_name == "mappings":
        cmd_mappings(a.pid)
    elif a.cmd_name == "settle":
        cmd_settle(a.pid)
    else:
        print(json.dumps(cmd_load(a)))


if __name__ == "__main__":
    main()
