#!/usr/bin/env python3
"""Soaks the watchdog: a steady rate of mixed requests for a while in each mode, then SIGTERM.

Per mode, a fresh watchdog (a real process, pinned to the watchdog core) gets requests at a
fixed rate from the load core: 70 % fast, 15 % slow (0.5 s), 10 % failing, 5 % running past
exec_timeout (2 s). Every request is checked against the answer the contract promises
(200, 200, 500, 504). Static mode gets its own mix: small and 1 MiB files, ranges, missing
files, revalidations and HEAD (200, 206, 404, 304), and 8 MiB downloads read slowly. The watchdog's open file descriptors, threads, child processes and RSS
are read from /proc after a warm-up, once the load has stopped and the last requests have been
answered, and again after a minute idle (when cached thread pools have let their idle threads
go). A request that the loaded machine makes outlast exec_timeout gets the contract's answer
for that, 504 or a cut response, and is counted apart from wrong answers; every cut a client
sees must be one the watchdog logged. At the end a few slow requests are sent and the watchdog gets SIGTERM while
they run: they must still be answered, and the watchdog must exit 0 with no child left.

Run it through bench/run.sh soak (which builds the jar); --minutes sets the time per mode, and
--parallel soaks the modes at the same time (each watchdog still has its own process and log).
"""
import argparse
import collections
import concurrent.futures
import datetime
import http.client
import os
import pathlib
import random
import signal
import sys
import tempfile
import threading
import time

from bench import BENCH, LOAD_CORE, Watchdog, free_port, proc_status_kib

MIX = [("fast", 70, 200), ("slow", 15, 200), ("fail", 10, 500), ("timeout", 5, 504)]
# Static mode: files served, ranges, misses, revalidations, and large files read at a slow client's
# pace ("slow": 8 MiB at most 16 MiB/s, so one is still in flight when SIGTERM comes).
STATIC_MIX = [("fast", 50, 200), ("large", 10, 200), ("range", 10, 206), ("missing", 10, 404),
              ("revalidate", 10, 304), ("head", 5, 200), ("slow", 5, 200)]
STATIC_FILES = {"fast": 1024, "large": 1 << 20, "slow": 8 << 20}
SLOW_READ = 64 * 1024, 1 / 256  # bytes per read, seconds between reads
SETTINGS = {"exec_timeout": "2s", "write_timeout": "10s", "read_timeout": "10s", "healthcheck_interval": "1s"}
CLIENT_TIMEOUT = 30  # seconds: far beyond exec_timeout, so a request not answered by then never will be
IDLE_REUSE = 5  # seconds a client keeps an idle connection for reuse, half the watchdog's read_timeout
CUT = ("unanswered (IncompleteRead)", "unanswered (ConnectionResetError)")
SETTLE = 65  # seconds idle before the last reading: the watchdog's cached thread pools let idle threads go after 60


def mode_settings(mode):
    if mode == "http":
        port = free_port()
        return {"mode": "http", "upstream_url": f"http://127.0.0.1:{port}",
                "fprocess": f"python3 {BENCH / 'soak_upstream.py'} {port}", **SETTINGS}
    if mode == "afterburn":
        # Room for the slow and timing-out requests at once; each timeout costs its process. Idle
        # processes above min_workers stop within the minute the soak waits before its last reading.
        return {"mode": "afterburn", "workers": "8", "min_workers": "2", "idle_timeout": "30s",
                "fprocess": f"python3 {BENCH / 'soak_afterburn.py'}", **SETTINGS}
    if mode == "static":
        root = pathlib.Path(tempfile.mkdtemp(prefix="fwatchdog-soak-static-"))
        for kind, size in STATIC_FILES.items():
            (root / kind).write_bytes(os.urandom(size))
        return {"mode": "static", "static_path": str(root), **SETTINGS}
    return {"mode": mode, "fprocess": f"sh {BENCH / 'soak_function.sh'}", **SETTINGS}


class StaticFiles:
    """What each kind of static request sends and what it must get back."""

    def __init__(self, root):
        self.content = {kind: (pathlib.Path(root) / kind).read_bytes() for kind in STATIC_FILES}
        stamp = os.stat(pathlib.Path(root) / "fast").st_mtime
        self.modified = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(stamp + 1))

    def request(self, kind):
        """(method, path, headers, expected body or None for any)."""
        if kind == "range":
            return "GET", "/large", {"Range": "bytes=1000-4999"}, self.content["large"][1000:5000]
        if kind == "missing":
            return "GET", "/nothing-here", {}, None
        if kind == "revalidate":
            return "GET", "/fast", {"If-Modified-Since": self.modified}, b""
        if kind == "head":
            return "HEAD", "/large", {}, b""
        return "GET", f"/{kind}", {}, self.content[kind]


def children(pid):
    """Every live descendant of pid, by walking /proc (parents first)."""
    parent_of = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parent_of[int(entry.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
            except (OSError, ValueError):
                pass
    found, frontier = [], [pid]
    while frontier:
        nxt = [p for p, parent in parent_of.items() if parent in frontier]
        found += nxt
        frontier = nxt
    return found


def connections_to(port):
    """Established TCP connections whose remote end is port: the pooled upstream connections."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in pathlib.Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                count += 1
    return count


def resources(pid, upstream_port=None):
    return {
        "pooled": connections_to(upstream_port) if upstream_port else 0,
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": proc_status_kib(pid, "Threads"),
        "children": len(children(pid)),
        "rss_mib": proc_status_kib(pid, "VmRSS") / 1024,
    }


class Load:
    """Requests at a fixed rate from a thread pool; each thread keeps one connection alive."""

    def __init__(self, port, files=None):
        self.port = port
        self.files = files
        self.local = threading.local()
        self.results = collections.Counter()
        self.wrong = collections.Counter()
        self.late = collections.Counter()
        self.lock = threading.Lock()

    def one(self, kind, expected):
        conn = getattr(self.local, "conn", None)
        # A client must not reuse a connection the server may be closing for idleness (read_timeout
        # 10 s): the request would race the close. Connections idle for 5 s are replaced.
        if conn is not None and time.monotonic() - self.local.used > IDLE_REUSE:
            conn.close()
            conn = None
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=CLIENT_TIMEOUT)
        if self.files is None:
            body = expect = os.urandom(random.choice([16, 1024, 64 * 1024]))
            method, path, headers = "POST", f"/{kind}", {"X-Soak": kind}
        else:
            body = None
            method, path, headers, expect = self.files.request(kind)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            if kind == "slow" and self.files is not None:
                pieces = []
                while piece := response.read(SLOW_READ[0]):
                    pieces.append(piece)
                    time.sleep(SLOW_READ[1])
                answer = b"".join(pieces)
            else:
                answer = response.read()
            status = response.status
            checked = status == expected and expect is not None and (self.files is not None or status == 200)
            if checked and answer != expect:
                if len(answer) < len(expect) and expect.startswith(answer):
                    raise http.client.IncompleteRead(answer, len(expect) - len(answer))  # cut short
                status = f"{status} with a wrong body"
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                self.local.conn = None
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            self.local.conn = None
            status = f"unanswered ({type(e).__name__})"
        self.local.used = time.monotonic()
        with self.lock:
            self.results[status if isinstance(status, str) else f"{status // 100}xx"] += 1
            if status == expected:
                return
            # The contract's answer when the machine is slower than exec_timeout: 504 before the
            # response starts, a cut response after it. A cut reaches the client as an incomplete
            # body, or as a reset when request bytes were still unread; the log counts every cut.
            if status == 504 or status in CUT:
                self.late[f"{kind}: {status}"] += 1
            else:
                self.wrong[f"{kind}: {status}"] += 1

    def run(self, rate, seconds):
        kinds = [(k, e) for k, weight, e in (MIX if self.files is None else STATIC_MIX) for _ in range(weight)]
        sent = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=128) as pool:
            start = time.monotonic()
            while time.monotonic() - start < seconds:
                pool.submit(self.one, *random.choice(kinds))
                sent += 1
                time.sleep(max(0.0, start + sent / rate - time.monotonic()))
        return sent


def sigterm_with_requests_in_flight(watchdog, files):
    """Three slow requests in flight, then SIGTERM: they must be answered, and the exit clean."""
    load = Load(watchdog.port, files)
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(load.one, "slow", 200) for _ in range(3)]
        time.sleep(0.2)
        before = children(watchdog.pid)
        watchdog.process.send_signal(signal.SIGTERM)
        concurrent.futures.wait(futures)
    code = watchdog.process.wait(timeout=60)
    left = [p for p in before if os.path.exists(f"/proc/{p}")]
    return {"in_flight_answered": load.results["2xx"], "exit_status": code, "children_left": len(left)}


def cuts_logged(log, since):
    """Responses the watchdog logged as cut after they started, from byte offset since of its log."""
    log.flush()
    with open(log.name, "rb") as f:
        f.seek(since)
        return f.read().count(b"response cut after it started")


def soak(mode, rate, seconds, log):
    settings = mode_settings(mode)
    watchdog = Watchdog(settings, log)
    files = StaticFiles(settings["static_path"]) if mode == "static" else None
    try:
        Load(watchdog.port, files).run(rate, 10)  # warm-up: JIT, pools, the allocator's arenas
        time.sleep(3)
        upstream = int(settings["upstream_url"].rsplit(":", 1)[1]) if mode == "http" else None
        before = resources(watchdog.pid, upstream)
        log.flush()
        log_offset = os.path.getsize(log.name)
        load = Load(watchdog.port, files)
        sent = load.run(rate, seconds)  # returns once every request has been answered or given up
        time.sleep(3)
        after = resources(watchdog.pid, upstream)
        time.sleep(SETTLE)
        settled = resources(watchdog.pid, upstream)
        end = sigterm_with_requests_in_flight(watchdog, files)
    finally:
        if watchdog.process.poll() is None:
            watchdog.process.kill()
            watchdog.process.wait()
    return {"mode": mode, "seconds": seconds, "rate": rate, "sent": sent, "answered": dict(load.results),
            "unexpected": dict(load.wrong), "late": dict(load.late), "before": before, "after": after,
            "settled": settled, "cuts_logged": cuts_logged(log, log_offset), **end}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=20, help="requests per second")
    parser.add_argument("--modes", default="streaming,serializing,http,afterburn,static")
    parser.add_argument("--parallel", action="store_true", help="soak the modes at the same time")
    args = parser.parse_args()
    os.sched_setaffinity(0, {int(LOAD_CORE)})
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")

    def one_mode(mode):
        with open(results / f"{stamp}-soak-{mode}-watchdog.log", "w") as log:
            return soak(mode, args.rate, int(args.minutes * 60), log)

    modes = args.modes.split(",")
    if args.parallel:
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(modes)) as pool:
            rows = list(pool.map(one_mode, modes))
    else:
        rows = [one_mode(mode) for mode in modes]

    print(f"soak, {args.minutes:g} min per mode at {args.rate:g} req/s"
          f"{', every mode at once' if args.parallel else ''} ({stamp}); resources: "
          f"after warm-up → after the load → after {SETTLE} s idle")
    print("| mode | sent | 2xx | 3xx | 4xx | 5xx | 504 or cut: past exec_timeout on a loaded machine | unanswered otherwise "
          "| other than the contract | fds | threads | children | RSS MiB | SIGTERM: in flight answered, exit, children left |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    failed = False
    for r in rows:
        a, b, e, z = r["answered"], r["before"], r["after"], r["settled"]
        late = sum(r["late"].values())
        cut = sum(n for k, n in r["late"].items() if not k.endswith(": 504"))
        unanswered = sum(n for k, n in a.items() if k.startswith("unanswered")) - cut
        wrong = sum(r["unexpected"].values())

        def trio(key, fmt="{:.0f}"):
            return " → ".join(fmt.format(x[key]) for x in (b, e, z))

        print(f"| {r['mode']} | {r['sent']} | {a.get('2xx', 0)} | {a.get('3xx', 0)} | {a.get('4xx', 0)} | {a.get('5xx', 0)} "
              f"| {late} ({cut} cut, {r['cuts_logged']} logged as cut) | {unanswered} | {wrong} | {trio('fds')}"
              + (f" (pooled upstream connections {trio('pooled')})" if r["mode"] == "http" else "") + " "
              f"| {trio('threads')} | {trio('children')} | {trio('rss_mib')} "
              f"| {r['in_flight_answered']}/3, {r['exit_status']}, {r['children_left']} |")
        for name in ("unexpected", "late"):
            if r[name]:
                print(f"    {r['mode']} {name}: {r[name]}")
        failed |= unanswered > 0 or wrong > 0 or cut > r["cuts_logged"] or r["exit_status"] != 0 \
            or r["children_left"] > 0 or r["in_flight_answered"] != 3 \
            or z["fds"] - z["pooled"] > b["fds"] - b["pooled"] \
            or z["children"] > b["children"] or z["threads"] > b["threads"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
