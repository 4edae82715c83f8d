#!/usr/bin/env python3
"""Load and timing helper for bench/foundation.sh (standard library only).

  foundation.py startup BIN RUNS
      Starts `BIN serve` RUNS times (configuration from the environment, listening on a
      free port) and prints the median and spread, in milliseconds, of the time from
      process start to the first 200 from /api/healthz.
  foundation.py pages URL COUNT CONCURRENCY
      COUNT GET requests for pages of an empty site over keep-alive connections.
  foundation.py signin URL LOGIN PASSWORD SECONDS CONCURRENCY
      Correct sign-ins (POST /user/login with the CSRF cookie and field) for SECONDS
      from CONCURRENCY clients; every answer must be 303 with a session cookie.

Results are printed as one JSON object on standard output.
"""

import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def split_url(url):
    parts = urllib.parse.urlsplit(url)
    return parts.hostname, parts.port or 80


def get_status(host, port, path):
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def startup(binary, runs):
    """Time from fork/exec to the first healthy answer, RUNS times."""
    env = dict(os.environ, HATCHERY__SERVER__LISTEN="127.0.0.1:0")
    line_re = re.compile(r"is running at http://([0-9.]+):(\d+)/")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(
            [binary, "serve"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            # The server prints its address once bound; then poll until it is healthy.
            match = None
            for line in proc.stdout:
                match = line_re.search(line)
                if match:
                    break
            if not match:
                raise SystemExit(f"serve exited with {proc.wait()} before printing its address")
            host, port = match.group(1), int(match.group(2))
            deadline = start + 30
            while True:
                try:
                    if get_status(host, port, "/api/healthz") == 200:
                        break
                except OSError:
                    pass
                if time.perf_counter() > deadline:
                    raise SystemExit("no healthy answer within 30 s")
            times.append((time.perf_counter() - start) * 1000)
        finally:
            proc.send_signal(signal.SIGTERM)
            if proc.wait(timeout=30) != 0:
                raise SystemExit(f"serve exited with {proc.returncode} after SIGTERM")
    return {
        "runs": runs,
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
    }


# Pages of an empty site: home, the two account forms, and a 404 page.
PAGES = ["/", "/user/login", "/user/sign_up", "/no-such-user"]


def pages(url, count, concurrency):
    host, port = split_url(url)
    lock = threading.Lock()
    state = {"left": count, "statuses": {}, "latencies": []}

    def worker():
        conn = http.client.HTTPConnection(host, port, timeout=30)
        i = 0
        while True:
            with lock:
                if state["left"] == 0:
                    break
                state["left"] -= 1
            path = PAGES[i % len(PAGES)]
            i += 1
            t = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - t) * 1000
            with lock:
                state["statuses"][response.status] = state["statuses"].get(response.status, 0) + 1
                state["latencies"].append(elapsed)
        conn.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    return {
        "requests": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
        "statuses": state["statuses"],
        "p50_ms": round(percentile(state["latencies"], 50), 2),
        "p99_ms": round(percentile(state["latencies"], 99), 2),
    }


def csrf_token(host, port):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", "/user/login")
    response = conn.getresponse()
    response.read()
    conn.close()
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("hatchery_csrf="):
            return value.split(";", 1)[0].split("=", 1)[1]
    raise SystemExit("GET /user/login set no hatchery_csrf cookie")


def signin(url, login, password, seconds, concurrency):
    host, port = split_url(url)
    token = csrf_token(host, port)
    body = urllib.parse.urlencode({"_csrf": token, "login": login, "password": password})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"hatchery_csrf={token}",
    }
    lock = threading.Lock()
    latencies = []
    failures = {}
    stop_at = time.perf_counter() + seconds

    def worker():
        conn = http.client.HTTPConnection(host, port, timeout=60)
        while time.perf_counter() < stop_at:
            t = time.perf_counter()
            conn.request("POST", "/user/login", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - t) * 1000
            ok = response.status == 303 and "hatchery_session=" in "".join(
                v for h, v in response.getheaders() if h.lower() == "set-cookie"
            )
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    failures[response.status] = failures.get(response.status, 0) + 1
        conn.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if not latencies:
        raise SystemExit(f"no successful sign-in; failures by status: {failures}")
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "sign_ins": len(latencies),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "failures": failures,
    }


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    command, args = argv[1], argv[2:]
    if command == "startup":
        result = startup(args[0], int(args[1]))
    elif command == "pages":
        result = pages(args[0], int(args[1]), int(args[2]))
    elif command == "signin":
        result = signin(args[0], args[1], args[2], float(args[3]), int(args[4]))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
