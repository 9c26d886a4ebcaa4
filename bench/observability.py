#!/usr/bin/env python3
"""Measures what observability costs: serializing `cat` throughput with metrics served and
log_format=json, against metrics_port=0 and text logs.

Each round starts one watchdog of each kind, warms it up, and loads it with wrk (100-byte
bodies, 8 connections); the order alternates from round to round so that drift of a shared
machine does not favour one side. The figure is the ratio of the medians (1.0 = free).
The metrics side is scraped once at the end of each run, as Prometheus would, and its
request count is checked against wrk's.

Run it through bench/run.sh-built artefacts: ./mvnw -DskipTests package first, then
python3 bench/observability.py [--rounds 5 --seconds 10].
"""
import argparse
import os
import re
import statistics
import sys
import tempfile
import urllib.request

from bench import Watchdog, free_port, wrk

SIDES = {
    "observed": lambda: {"metrics_port": str(free_port()), "log_format": "json"},
    "bare": lambda: {"metrics_port": "0", "log_format": "text"},
}


def requests_counted(metrics_port):
    """The sum of http_requests_total over every code and method."""
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(float(v) for v in re.findall(r"^http_requests_total\{[^}]*\} (\S+)$", text, re.M))


def run_side(side, body_file, seconds, log):
    settings = {"mode": "serializing", "fprocess": "cat", **SIDES[side]()}
    w = Watchdog(settings, log)
    try:
        wrk(w.url(), body_file, 8, 2)  # warm-up: JIT and pools
        result = wrk(w.url(), body_file, 8, seconds)
        if side == "observed":
            result["counted"] = requests_counted(settings["metrics_port"])
        return result
    finally:
        w.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="fwatchdog-obs-bench-")
    body = os.path.join(workdir, "body-100B")
    with open(body, "wb") as f:
        f.write(os.urandom(100))
    rows = {side: [] for side in SIDES}
    with open(os.path.join(workdir, "watchdog.log"), "w") as log:
        for round_number in range(args.rounds):
            order = list(SIDES) if round_number % 2 == 0 else list(reversed(SIDES))
            for side in order:
                rows[side].append(run_side(side, body, args.seconds, log))
            print(f"round {round_number + 1}/{args.rounds}: "
                  + ", ".join(f"{s} {rows[s][-1]['rps']:.0f} req/s" for s in SIDES), file=sys.stderr)

    observed = statistics.median(r["rps"] for r in rows["observed"])
    bare = statistics.median(r["rps"] for r in rows["bare"])
    errors = sum(r["errors"] for side in rows.values() for r in side)
    print(f"serializing cat 100B, 8 connections, medians of {args.rounds} alternating rounds of {args.seconds}s")
    print("| metrics + json logs req/s | no metrics + text logs req/s | ratio | errors |")
    print("|---|---|---|---|")
    print(f"| {observed:.0f} | {bare:.0f} | {observed / bare:.3f} | {errors} |")
    print(f"(scraped http_requests_total per observed run: {[int(r['counted']) for r in rows['observed']]})")


if __name__ == "__main__":
    main()
