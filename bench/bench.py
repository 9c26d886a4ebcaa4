#!/usr/bin/env python3
"""Benchmarks the fork modes side by side with the bare system cost of the same work.

The watchdog and its functions are pinned to one core, the load generator to the other.
Every figure is the median of several rounds; each round starts a fresh watchdog. Ratios
compare two things measured in the same round on the same machine, so they survive the
drift of a shared machine better than the absolute numbers do.

Run it through bench/run.sh, which installs the tools and builds the jar.
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WATCHDOG_CORE = "0"
LOAD_CORE = "1"
GIB = 1 << 30


def java_command(mode="streaming"):
    """The launcher's command line (see ./fwatchdog), without its shell around it."""
    props = (ROOT / "watchdog/target/jdk.properties").read_text()
    home = re.search(r"^\s*java\.home = (.+)$", props, re.M).group(1).strip()
    options = [f"@{ROOT}/watchdog/src/dist/jvm.options"]
    if mode != "http":
        options.append(f"@{ROOT}/watchdog/src/dist/jvm-fork.options")
    return [f"{home}/bin/java", *options, "-jar", str(ROOT / "watchdog/target/fwatchdog.jar")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health_status(port):
    """The status of GET /_/health, or None while nothing listens."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET /_/health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            head = s.recv(64)
            return int(head.split()[1]) if head.startswith(b"HTTP/1.1 ") else None
    except OSError:
        return None


def request_status(port, method, path, body=b"", timeout=30):
    """Sends one request on a fresh connection and reads the whole answer; returns its status,
    or None while nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(method.encode() + b" " + path.encode() + b" HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
                      b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            return int(data.split()[1]) if data.startswith(b"HTTP/1.1 ") else None
    except OSError:
        return None


def proc_status_kib(pid, field):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class Watchdog:
    """A watchdog pinned to the watchdog core, on a free port, torn down with SIGTERM."""

    def __init__(self, settings, log):
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="fwatchdog-bench-")
        env = dict(os.environ, TMPDIR=self.tmp, port=str(self.port), metrics_port="0", healthcheck_interval="0")
        env.update(settings)
        self.process = subprocess.Popen(["taskset", "-c", WATCHDOG_CORE, *java_command(settings.get("mode", "streaming"))],
                                        env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while health_status(self.port) != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"watchdog with {settings} did not become healthy")
            time.sleep(0.01)

    @property
    def pid(self):
        return self.process.pid

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wrk(url, body_file, connections, seconds, timeout=None):
    """A wrk run: POSTs the contents of body_file, or GETs when it is None."""
    script = ["-s", str(BENCH / "post.lua")] if body_file is not None else []
    if timeout is not None:
        script += ["--timeout", timeout]  # wrk's default of 2s counts slower answers as errors
    out = subprocess.run(
        ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
         *script, url],
        env=dict(os.environ, BODY_FILE=str(body_file)), capture_output=True, text=True, check=True).stdout
    latency = {p: to_ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": latency["50"], "p99_ms": latency["99"], "errors": errors}


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def spawn_baseline(binary, body_bytes, seconds):
    out = subprocess.run(["taskset", "-c", WATCHDOG_CORE, str(binary), str(body_bytes), str(seconds)],
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def stream_gib(url):
    """Streams 1 GiB through the watchdog with curl; returns MiB/s, checking every byte came back."""
    script = (f"head -c {GIB} /dev/zero | curl -sS -X POST -T - -H 'Expect:' -o /dev/null "
              f"-w '%{{size_download}} %{{time_total}}' {url}")
    out = subprocess.run(["taskset", "-c", LOAD_CORE, "sh", "-c", script],
                         capture_output=True, text=True, check=True).stdout.split()
    received, seconds = int(out[0]), float(out[1])
    if received != GIB:
        raise RuntimeError(f"streamed {GIB} bytes, received {received}")
    return GIB / (1 << 20) / seconds


def pipe_gib():
    """The same gibibyte through cat over bare pipes: the ceiling for streaming mode."""
    start = time.monotonic()
    out = subprocess.run(["sh", "-c", f"head -c {GIB} /dev/zero | taskset -c {WATCHDOG_CORE} cat | wc -c"],
                         capture_output=True, text=True, check=True).stdout
    seconds = time.monotonic() - start
    if int(out) != GIB:
        raise RuntimeError("pipe baseline lost bytes")
    return GIB / (1 << 20) / seconds


def startup_ms(log):
    """Time from exec to the first 200 on /_/health."""
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="fwatchdog-bench-")
    env = dict(os.environ, TMPDIR=tmp, port=str(port), metrics_port="0", healthcheck_interval="0", fprocess="cat")
    start = time.monotonic()
    process = subprocess.Popen(["taskset", "-c", WATCHDOG_CORE, *java_command()], env=env, stdout=log, stderr=log)
    while health_status(port) != 200:
        if process.poll() is not None:
            raise RuntimeError("watchdog exited during start-up")
        time.sleep(0.001)
    elapsed = (time.monotonic() - start) * 1000
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    return elapsed


def jvm_floor_ms():
    """A JVM with the same options that does nothing: what any Java watchdog pays to start."""
    java, options = java_command()[:2]
    start = time.monotonic()
    subprocess.run(["taskset", "-c", WATCHDOG_CORE, java, options, "-version"], capture_output=True, check=True)
    return (time.monotonic() - start) * 1000


def soak_rss(body_file, requests, log):
    """RSS of a serializing watchdog before and after `requests` more requests (after a warm-up)."""
    w = Watchdog({"mode": "serializing", "fprocess": "cat"}, log)
    try:
        hey = ["taskset", "-c", LOAD_CORE, "hey", "-c", "8", "-m", "POST", "-D", str(body_file)]
        subprocess.run([*hey, "-n", str(requests // 10), w.url()], capture_output=True, check=True)
        before = proc_status_kib(w.pid, "VmRSS")
        out = subprocess.run([*hey, "-n", str(requests), w.url()], capture_output=True, text=True, check=True).stdout
        after = proc_status_kib(w.pid, "VmRSS")
        ok = sum(int(n) for n in re.findall(r"\[200\]\s+(\d+) responses", out))
        return {"requests": requests, "ok": ok, "rss_before_mib": before / 1024, "rss_after_mib": after / 1024,
                "growth_bytes_per_request": (after - before) * 1024 / requests}
    finally:
        w.stop()


def median(rows, key):
    return statistics.median(r[key] for r in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--startups", type=int, default=20)
    parser.add_argument("--soak-requests", type=int, default=100_000, help="0 skips the RSS soak")
    parser.add_argument("--baseline", required=True, help="the compiled spawn_baseline")
    args = parser.parse_args()

    results_dir = BENCH / "results"
    results_dir.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    log = open(results_dir / f"{stamp}-watchdog.log", "w")
    bodies = {}
    for name, size in (("100B", 100), ("1MiB", 1 << 20)):
        path = results_dir / f"body-{name}"
        path.write_bytes(os.urandom(size))
        bodies[name] = (path, size)

    load = {}     # (mode, body, connections) -> [wrk result per round]
    floor = {}    # body -> [bare spawn round trips per second per round]
    streams = []  # per round: watchdog MiB/s, pipe MiB/s, peak RSS MiB
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number}/{args.rounds}", file=sys.stderr)
        for body, (_, size) in bodies.items():
            floor.setdefault(body, []).append(spawn_baseline(args.baseline, size, args.seconds))
        for mode in ("streaming", "serializing"):
            w = Watchdog({"mode": mode, "fprocess": "cat"}, log)
            try:
                wrk(w.url(), bodies["100B"][0], 8, 2)  # warm-up: JIT and pools
                for body, (path, _) in bodies.items():
                    for connections in (8, 32):
                        load.setdefault((mode, body, connections), []).append(
                            wrk(w.url(), path, connections, args.seconds))
            finally:
                w.stop()
        w = Watchdog({"mode": "streaming", "fprocess": "cat", "exec_timeout": "0"}, log)
        try:
            through = stream_gib(w.url())
            peak = proc_status_kib(w.pid, "VmHWM") / 1024
        finally:
            w.stop()
        streams.append({"watchdog_mibps": through, "pipe_mibps": pipe_gib(), "peak_rss_mib": peak})

    startups = [startup_ms(log) for _ in range(args.startups)]
    floors = [jvm_floor_ms() for _ in range(args.startups)]
    soak = soak_rss(bodies["100B"][0], args.soak_requests, log) if args.soak_requests else None

    lines = [f"fwatchdog bench, {stamp}, {platform.node()}, {os.cpu_count()} cores; "
             f"watchdog+functions on core {WATCHDOG_CORE}, load on core {LOAD_CORE}; "
             f"medians of {args.rounds} rounds of {args.seconds}s", "",
             "| mode | body | conns | req/s | p50 ms | p99 ms | errors | bare spawn+cat /s | req/s ÷ bare |",
             "|---|---|---|---|---|---|---|---|---|"]
    for (mode, body, connections), rows in load.items():
        rps, bare = median(rows, "rps"), statistics.median(floor[body])
        lines.append(f"| {mode} | {body} | {connections} | {rps:.0f} | {median(rows, 'p50_ms'):.2f} | "
                     f"{median(rows, 'p99_ms'):.2f} | {sum(r['errors'] for r in rows)} | {bare:.0f} | {rps / bare:.2f} |")
    lines += ["", "| 1 GiB through cat, streaming | MiB/s | bare pipe MiB/s | ratio | watchdog peak RSS MiB |",
              "|---|---|---|---|---|",
              f"| median of {len(streams)} | {median(streams, 'watchdog_mibps'):.0f} | "
              f"{median(streams, 'pipe_mibps'):.0f} | "
              f"{median(streams, 'watchdog_mibps') / median(streams, 'pipe_mibps'):.2f} | "
              f"{max(s['peak_rss_mib'] for s in streams):.0f} |",
              "", "| start-up | exec → first 200 on /_/health, ms | JVM `-version`, ms | ratio |", "|---|---|---|---|",
              f"| median of {len(startups)} | {statistics.median(startups):.0f} | {statistics.median(floors):.0f} | "
              f"{statistics.median(startups) / statistics.median(floors):.2f} |"]
    if soak:
        lines += ["", "| RSS soak, serializing cat 100B | requests | 200s | RSS before MiB | RSS after MiB | bytes/request |",
                  "|---|---|---|---|---|---|",
                  f"| after a {args.soak_requests // 10}-request warm-up | {soak['requests']} | {soak['ok']} | "
                  f"{soak['rss_before_mib']:.1f} | {soak['rss_after_mib']:.1f} | {soak['growth_bytes_per_request']:.1f} |"]
    report = "\n".join(lines)
    print(report)
    (results_dir / f"{stamp}.md").write_text(report + "\n")
    (results_dir / f"{stamp}.json").write_text(json.dumps({
        "load": {f"{m} {b} {c}": rows for (m, b, c), rows in load.items()}, "spawn_floor": floor,
        "stream": streams, "startup_ms": startups, "jvm_floor_ms": floors, "soak": soak}, indent=1))


if __name__ == "__main__":
    main()
