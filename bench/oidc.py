"""Signs in through an OpenID Connect provider N times, as a browser would (bench/oidc.sh).

Each round: a new cookie jar; the provider is told which account signs in; GET
/user/oauth2/ID on Hatchery; the provider's redirects are followed until it sends the
browser back; the callback is requested from Hatchery and must answer 303 (signed in).
Prints the callback's wall time as the client saw it (median, p90), which includes the
provider's token and userinfo answers; the server's own log splits that (oidc.sh).
"""

import http.client
import statistics
import sys
import time
import urllib.parse


def request(url, method="GET", cookies=None):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    path = u.path + ("?" + u.query if u.query else "")
    headers = {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request(method, path, headers=headers)
    r = conn.getresponse()
    r.read()
    if cookies is not None:
        for h, v in r.getheaders():
            if h.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                cookies[name.strip()] = rest.split(";")[0]
    conn.close()
    return r.status, r.getheader("Location")


def main():
    base, provider, source, rounds, accounts = sys.argv[1:6]
    rounds, accounts = int(rounds), int(accounts)
    times = []
    for i in range(rounds):
        status, _ = request(f"{provider}/test/sign-in-as?account=u{i % accounts}", "POST")
        assert status == 204, status
        ours, theirs = {}, {}
        status, loc = request(f"{base}/user/oauth2/{source}", cookies=ours)
        assert status == 303, status
        url = loc
        while not url.startswith(base):
            status, loc = request(url, cookies=theirs)
            assert loc, (status, url)
            url = urllib.parse.urljoin(url, loc)
        started = time.perf_counter()
        status, loc = request(url, cookies=ours)
        times.append((time.perf_counter() - started) * 1000)
        assert status == 303, (status, loc)
    times.sort()
    print(f"callback as the client saw it: median {statistics.median(times):.2f} ms, "
          f"p90 {times[int(len(times) * 0.9) - 1]:.2f} ms over {rounds} sign-ins")


main()
