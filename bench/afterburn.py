#!/usr/bin/env python3
"""Benchmarks afterburn mode against the other ways of running the same handler.

One trivial handler (bench/afterburn/handler.*), in Python and in Node, run four ways: by
afterburn's reference loops with 2 hot processes, in http mode behind the language's own HTTP
server, and in serializing mode as a script started per request. Each round measures every way
at 8 and 32 connections (req/s, p50, p99), in alternating order; the report gives medians and
afterburn's ratios to the others. Also the first-request latency: from exec of the watchdog to
the first 200 from the function, median of several starts. The watchdog and the function
share one core, the load generator has the other. Run it through bench/run.sh afterburn.
"""
import argparse
import datetime
import statistics
import subprocess
import sys
import time
import urllib.request

from bench import BENCH, WATCHDOG_CORE, Watchdog, free_port, java_command, wrk

LOOPS = BENCH.parent / "watchdog" / "src" / "test" / "resources" / "functions" / "afterburn"
HERE = BENCH / "afterburn"
RUNTIME = {"python": "python3", "node": "node"}
SUFFIX = {"python": "py", "node": "js"}


def settings(way, lang, port=None):
    run, ext = RUNTIME[lang], SUFFIX[lang]
    if way == "afterburn":
        # max_queue above the connection count: the default (10 x workers) would turn some away with 429.
        return {"mode": "afterburn", "workers": "2", "min_workers": "2", "max_queue": "64",
                "fprocess": f"{run} {LOOPS / ('loop.' + ext)} {HERE / ('handler.' + ext)}"}
    if way == "http":
        return {"mode": "http", "upstream_url": f"http://127.0.0.1:{port}",
                "fprocess": f"{run} {HERE / ('server.' + ext)} {port}"}
    return {"mode": "serializing", "fprocess": f"{run} {HERE / ('script.' + ext)}"}


def first_response_ms(way, lang, log):
    """Exec of the watchdog to the first 200 from the function."""
    import os
    import tempfile
    port = free_port()
    env = dict(os.environ, TMPDIR=tempfile.mkdtemp(prefix="fwatchdog-bench-"), port=str(port), metrics_port="0",
               healthcheck_interval="0")
    env.update(settings(way, lang, free_port()))
    started = time.monotonic()
    process = subprocess.Popen(["taskset", "-c", WATCHDOG_CORE, *java_command(env["mode"])], env=env,
                               stdout=log, stderr=log)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    if response.status == 200:
                        return (time.monotonic() - started) * 1000
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() - started > 60:
                raise RuntimeError(f"{way}/{lang} did not answer")
            time.sleep(0.002)
    finally:
        process.terminate()
        process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    log = open(results / f"{stamp}-afterburn-watchdog.log", "w")
    ways = ["afterburn", "http", "serializing"]
    rows = {}  # (lang, way, connections) -> [wrk result per round]
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number}/{args.rounds}", file=sys.stderr)
        order = ways if round_number % 2 else list(reversed(ways))
        for lang in RUNTIME:
            for way in order:
                w = Watchdog(settings(way, lang, free_port()), log)
                try:
                    wrk(w.url(), None, 8, 3)  # warm-up: JIT, pools, the handler's own caches
                    for connections in (8, 32):
                        seconds = args.seconds if way != "serializing" else max(3, args.seconds // 2)
                        rows.setdefault((lang, way, connections), []).append(wrk(w.url(), None, connections, seconds))
                finally:
                    w.stop()
    firsts = {(lang, way): statistics.median(first_response_ms(way, lang, log) for _ in range(args.starts))
              for lang in RUNTIME for way in ("afterburn", "http")}

    def med(lang, way, connections, key):
        return statistics.median(r[key] for r in rows[(lang, way, connections)])

    lines = [f"fwatchdog afterburn bench, {stamp}, watchdog+function on core {WATCHDOG_CORE}, load on the other; "
             f"medians of {args.rounds} rounds of {args.seconds}s (serializing: half that)", "",
             "| handler | way | conns | req/s | p50 ms | p99 ms | errors | afterburn ÷ this way |",
             "|---|---|---|---|---|---|---|---|"]
    for lang in RUNTIME:
        for connections in (8, 32):
            burn = med(lang, "afterburn", connections, "rps")
            for way in ways:
                rps = med(lang, way, connections, "rps")
                errors = sum(r["errors"] for r in rows[(lang, way, connections)])
                ratio = "—" if way == "afterburn" else f"{burn / rps:.2f}" if rps else "∞"
                lines.append(f"| {lang} | {way} | {connections} | {rps:.0f} | {med(lang, way, connections, 'p50_ms'):.2f} | "
                             f"{med(lang, way, connections, 'p99_ms'):.2f} | {errors} | {ratio} |")
    lines += ["", "| handler | way | exec to first function response, ms (median of %d) |" % args.starts, "|---|---|---|"]
    for (lang, way), ms in firsts.items():
        lines.append(f"| {lang} | {way} | {ms:.0f} |")
    report = "\n".join(lines)
    print(report)
    (results / f"{stamp}-afterburn.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
