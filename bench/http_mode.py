#!/usr/bin/env python3
"""Benchmarks http mode: the same Node upstream measured through the watchdog and directly,
alternating in each round, as ratios of medians.

The watchdog runs on the watchdog core and starts the upstream itself (fprocess), so both
share that core, as they share a function container's CPU; the load generator is on the
other core. Reported: req/s and p50/p99 for a small GET at 8 and 64 connections, req/s for
a 1 MiB POST echoed back, and the watchdog's peak RSS after a 256 MiB body is echoed through
it in one request. Run it through bench/run.sh http.
"""
import argparse
import datetime
import os
import statistics
import subprocess
import sys

from bench import BENCH, LOAD_CORE, Watchdog, free_port, proc_status_kib, wrk

def echo_256mib(url):
    size = 256 << 20
    script = (f"head -c {size} /dev/zero | curl -sS -X POST -H 'Content-Length: {size}' --data-binary @- "
              f"-o /dev/null -w '%{{size_download}}' {url}")
    out = subprocess.run(["taskset", "-c", LOAD_CORE, "sh", "-c", script], capture_output=True, text=True, check=True)
    if int(out.stdout) != size:
        raise RuntimeError(f"echoed {size} bytes, got {out.stdout} back")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    log = open(results / f"{stamp}-http-watchdog.log", "w")
    mib = results / "body-1MiB"
    mib.write_bytes(os.urandom(1 << 20))

    rows = {}  # (case, side) -> [result per round]
    peaks = []
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number}/{args.rounds}", file=sys.stderr)
        upstream_port = free_port()
        w = Watchdog({"mode": "http", "upstream_url": f"http://127.0.0.1:{upstream_port}",
                      "fprocess": f"node {BENCH / 'upstream.js'} {upstream_port}", "exec_timeout": "0"}, log)
        try:
            direct = f"http://127.0.0.1:{upstream_port}"
            wrk(w.url(), None, 64, 20)  # warm-up: C2 on a shared core takes its time; pools fill
            wrk(w.url("/echo"), mib, 8, 5)
            wrk(direct + "/", None, 64, 2)
            sides = [("proxy", w.url().rstrip("/")), ("direct", direct)]
            if round_number % 2 == 0:
                sides.reverse()
            for case, connections, body in (("GET", 8, None), ("GET", 64, None), ("1MiB echo", 8, mib)):
                for side, base in sides:
                    path = "/echo" if body else "/"
                    rows.setdefault((case, connections, side), []).append(
                        wrk(base + path, body, connections, args.seconds))
            echo_256mib(w.url("/echo"))
            peaks.append(proc_status_kib(w.pid, "VmHWM") / 1024)
        finally:
            w.stop()

    def med(case, connections, side, key):
        return statistics.median(r[key] for r in rows[(case, connections, side)])

    lines = [f"fwatchdog http-mode bench, {stamp}, watchdog+upstream on one core, load on the other; "
             f"medians of {args.rounds} rounds of {args.seconds}s", "",
             "| case | conns | direct req/s | proxy req/s | ratio | direct p50 ms | proxy p50 ms | proxy p99 ms | errors |",
             "|---|---|---|---|---|---|---|---|---|"]
    for case, connections in (("GET", 8), ("GET", 64), ("1MiB echo", 8)):
        d, p = med(case, connections, "direct", "rps"), med(case, connections, "proxy", "rps")
        errors = sum(r["errors"] for side in ("direct", "proxy") for r in rows[(case, connections, side)])
        lines.append(f"| {case} | {connections} | {d:.0f} | {p:.0f} | {p / d:.2f} | "
                     f"{med(case, connections, 'direct', 'p50_ms'):.2f} | {med(case, connections, 'proxy', 'p50_ms'):.2f} | "
                     f"{med(case, connections, 'proxy', 'p99_ms'):.2f} | {errors} |")
    lines += ["", f"Watchdog peak RSS after a 256 MiB body echoed through it: {max(peaks):.0f} MiB"]
    report = "\n".join(lines)
    print(report)
    (results / f"{stamp}-http.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
