#!/usr/bin/env python3
"""Measures prefork: fork-mode throughput and latency with and without processes started ahead.

For each mode (serializing, streaming) and handler (`cat`, a Node.js script, a Python script,
the last two paying their runtime's start on every fork) the watchdog runs with prefork 0, 4
and 16 (cgi_headers=false), pinned with its functions to one core, the load to the other.
Two loads per watchdog, after a 2 s warm-up:

- saturated: wrk, 8 connections, as fast as answers come (req/s, p50, p99);
- paced: hey, 8 workers at a fixed total rate of half what prefork=0 reached saturated in the
  same round, so the core has room to start the next processes between requests (p50, p99).
  A saturated core pays every start anyway, prefork or not; the paced load shows what a
  request waits for when the watchdog is not overloaded, which is what prefork is for.

Every figure is the median of several rounds. Run it through bench/run.sh prefork.
"""
import argparse
import datetime
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys

from bench import BENCH, LOAD_CORE, Watchdog, to_ms, wrk

PREFORKS = (0, 4, 16)
MODES = ("serializing", "streaming")


def handlers():
    python = shutil.which("python3", path="/usr/bin:/bin") or "python3"  # not a version-manager shim
    return {"cat": "cat", "node": f"node {BENCH / 'handler.js'}", "python": f"{python} {BENCH / 'handler.py'}"}


def hey_paced(url, body_file, rate, seconds):
    """hey at `rate` requests per second in total over 8 workers; p50 and p99 in ms."""
    workers = 8
    out = subprocess.run(["taskset", "-c", LOAD_CORE, "hey", "-c", str(workers), "-q", f"{rate / workers:.3f}",
                          "-z", f"{seconds}s", "-m", "POST", "-D", str(body_file), url],
                         capture_output=True, text=True, check=True).stdout
    latency = {p: float(v) * 1000 for p, v in re.findall(r"^\s+(50|99)% in ([\d.]+) secs", out, re.M)}
    ok = sum(int(n) for n in re.findall(r"\[200\]\s+(\d+) responses", out))
    answered = sum(int(n) for n in re.findall(r"\[\d+\]\s+(\d+) responses", out))
    failed = out.split("Error distribution:")[1] if "Error distribution:" in out else ""
    errors = answered - ok + sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]\s", failed, re.M))
    return {"p50_ms": latency.get("50", float("nan")), "p99_ms": latency.get("99", float("nan")),
            "ok": ok, "errors": errors}


def med(rows, key):
    return statistics.median(r[key] for r in rows)


def p99(rows):
    """hey leaves the 99th percentile out of a short run's summary; so do the rows then."""
    values = [r["p99_ms"] for r in rows if r["p99_ms"] == r["p99_ms"]]
    return f"{statistics.median(values):.2f}" if values else "n/a"


def ratio(a, b):
    return f"{a / b:.2f}" if b else "n/a"


def table(results, rate_key, rate_title):
    """Markdown rows: each configuration's medians, and its ratios to prefork=0 of the same handler."""
    lines = [f"| mode | handler | prefork | {rate_title} | p50 ms | p99 ms | errors | {rate_title} ÷ prefork=0 "
             "| p50 prefork=0 ÷ p50 |", "|---|---|---|---|---|---|---|---|---|"]
    for (mode, handler, prefork), rows in results.items():
        base = results[(mode, handler, 0)]
        lines.append(f"| {mode} | {handler} | {prefork} | {med(rows, rate_key):.1f} | {med(rows, 'p50_ms'):.2f} | "
                     f"{p99(rows)} | {sum(r['errors'] for r in rows)} | "
                     f"{ratio(med(rows, rate_key), med(base, rate_key))} | "
                     f"{ratio(med(base, 'p50_ms'), med(rows, 'p50_ms'))} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8, help="duration of each load run")
    parser.add_argument("--handlers", default="cat,node,python")
    args = parser.parse_args()

    results_dir = BENCH / "results"
    results_dir.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    log = open(results_dir / f"{stamp}-prefork-watchdog.log", "w")
    body = results_dir / "body-100B"
    body.write_bytes(os.urandom(100))
    commands = {name: command for name, command in handlers().items() if name in args.handlers.split(",")}

    saturated, paced = {}, {}
    for round_number in range(1, args.rounds + 1):
        for mode in MODES:
            for handler, command in commands.items():
                base_rps = None
                for prefork in PREFORKS:
                    print(f"round {round_number}/{args.rounds}: {mode} {handler} prefork={prefork}", file=sys.stderr)
                    settings = {"mode": mode, "fprocess": command, "prefork": str(prefork), "cgi_headers": "false"}
                    w = Watchdog(settings, log)
                    try:
                        wrk(w.url(), body, 8, 2)  # warm-up: JIT and pools
                        result = wrk(w.url(), body, 8, args.seconds, timeout="60s")
                        saturated.setdefault((mode, handler, prefork), []).append(result)
                        if prefork == 0:
                            base_rps = result["rps"]
                        if handler != "cat":
                            paced.setdefault((mode, handler, prefork), []).append(
                                dict(hey_paced(w.url(), body, max(1.0, base_rps / 2), args.seconds),
                                     rate=max(1.0, base_rps / 2)))
                    finally:
                        w.stop()

    lines = [f"fwatchdog prefork bench, {stamp}, {os.cpu_count()} cores; watchdog+functions on one core, "
             f"load on the other; medians of {args.rounds} rounds of {args.seconds}s; 100 B bodies", "",
             "Saturated (wrk, 8 connections):", "", *table(saturated, "rps", "req/s")]
    if paced:
        lines += ["", "Paced (hey, 8 workers, half the prefork=0 saturated rate of the same round):", "",
                  *table(paced, "rate", "rate req/s")]
    report = "\n".join(lines)
    print(report)
    (results_dir / f"{stamp}-prefork.md").write_text(report + "\n")
    (results_dir / f"{stamp}-prefork.json").write_text(json.dumps({
        "saturated": {f"{m} {h} {p}": rows for (m, h, p), rows in saturated.items()},
        "paced": {f"{m} {h} {p}": rows for (m, h, p), rows in paced.items()}}, indent=1))


if __name__ == "__main__":
    main()
