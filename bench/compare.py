#!/usr/bin/env python3
"""Compares fwatchdog side by side with another watchdog and with two reference proxies.

  http mode    a small GET from the Node upstream (bench/upstream.js) at 8 and 64 connections:
               directly, through fwatchdog, through the other watchdog (--other), through
               haproxy and through nginx (one worker each, keep-alive to the upstream)
  fork modes   serializing and streaming with cat, 100 B bodies, 8 connections: fwatchdog, the
               other watchdog and the bare posix_spawn+cat loop (the floor)
  start-up     per watchdog: exec to the first 200 on /_/health (streaming, cat) and exec to the
               first function answer (http mode, Node upstream)
  warm-up      per watchdog, in http mode: the rate of each of the first seconds after the first
               function answer (one-second wrk runs at 64 connections), against the warm rate
               of the http comparison (the same watchdog after its warm-up, 64 connections)
  memory       per watchdog, in http mode: VmRSS of the watchdog process itself when idle, after
               N requests, after a burst of mixed requests (small GETs and 256 KiB echoes at 64
               connections) and after a further idle time

Everything under test (watchdog, proxy, upstream, functions) is pinned to the watchdog core,
the load generators (wrk, hey) and this script to the load core. Each round starts every
target fresh, in an order rotated by one from the round before, and compares it with the
baseline measured in the same round (direct for http mode, the floor for the fork modes); the
reports give every round's ratio and the median over rounds.

fwatchdog runs from an assembled folder (watchdog/src/dist/assemble.sh, with its AOT cache),
as the image ships it. The other watchdog gets the same environment variables (mode, fprocess,
upstream_url, port, healthcheck_interval); of-watchdog always serves metrics on port 8081, so
fwatchdog serves its metrics too (on a free port) and 8081 must be free.

Run it through bench/run.sh compare, which builds the jar and the floor's binary.
"""
import argparse
import contextlib
import datetime
import json
import os
import pathlib
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from bench import (BENCH, LOAD_CORE, ROOT, WATCHDOG_CORE, free_port, health_status, proc_status_kib,
                   request_status, spawn_baseline, wrk)

WORK = BENCH / "results/compare"
HOME = WORK / "fwatchdog"
UPSTREAM = BENCH / "upstream.js"
OTHER_METRICS_PORT = 8081  # of-watchdog's metrics listener; it has no setting to move or disable it
HTTP_TARGETS = ["direct", "fwatchdog", "other", "haproxy", "nginx"]
HTTP_CONNECTIONS = (8, 64)
FORK_MODES = ("serializing", "streaming")
FORK_CONNECTIONS = 8
ECHO_BYTES = 256 << 10


# --- processes -------------------------------------------------------------------------------

def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (index 0 is the state), or None."""
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def process_tree(root):
    """Every live descendant of root as (pid, start time), found by walking parent ids."""
    children = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat_fields(entry.name)) is not None:
            children.setdefault(int(fields[1]), []).append((int(entry.name), fields[19]))
    found, pending = [], [root]
    while pending:
        for pid, started in children.get(pending.pop(), []):
            found.append((pid, started))
            pending.append(pid)
    return found


def task_counters(pids):
    """CPU seconds (user, system) and context switches (voluntary, preempted) summed over every
    thread of the given processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = [0.0, 0.0, 0, 0]
    for pid in pids:
        for task in pathlib.Path(f"/proc/{pid}/task").glob("*"):
            fields = stat_fields(f"{pid}/task/{task.name}")
            try:
                status = (task / "status").read_text()
            except (FileNotFoundError, ProcessLookupError):
                fields = None  # the thread ended between the two reads
            if fields is None:
                continue
            total[0] += int(fields[11]) / ticks
            total[1] += int(fields[12]) / ticks
            total[2] += int(re.search(r"^voluntary_ctxt_switches:\s+(\d+)", status, re.M).group(1))
            total[3] += int(re.search(r"^nonvoluntary_ctxt_switches:\s+(\d+)", status, re.M).group(1))
    return total


def alive(pid, started):
    """Whether pid is still the process that started at `started` and has not exited."""
    fields = stat_fields(pid)
    return fields is not None and fields[19] == started and fields[0] != "Z"


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("", port))
            return True
        except OSError:
            return False


def wait_until(condition, what, timeout, process=None):
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with status {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout}s")
        time.sleep(0.002)


class Server:
    """A process pinned to the watchdog core, in a session of its own, its output in its own
    temporary folder (a watchdog's access log grows by tens of MB a run). stop() sends SIGTERM,
    then SIGKILL to whatever is left of it and of every process it started (functions sit in
    process groups of their own, so the tree is found through parent ids, not the group), waits
    until its ports are free again and appends the head and tail of its output to the run's log. Every
    live Server is stopped on the way out of main."""

    live = []
    LOG_HEAD, LOG_TAIL = 2 << 10, 2 << 10

    def __init__(self, name, argv, log, env=None, ports=(), tmp=None):
        self.name, self.ports, self.log = name, list(ports), log
        self.tmp = tmp or tempfile.mkdtemp(prefix="fwatchdog-compare-")  # its TMPDIR, removed at stop
        self.output = pathlib.Path(self.tmp, "output.log")
        env = dict(env if env is not None else os.environ, TMPDIR=self.tmp)
        with open(self.output, "wb") as output:
            self.started = time.monotonic()
            self.process = subprocess.Popen(["taskset", "-c", WATCHDOG_CORE, *argv], env=env, stdin=subprocess.DEVNULL,
                                            stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        Server.live.append(self)

    @property
    def pid(self):
        return self.process.pid

    @property
    def port(self):
        """The port it serves on (the first of its ports)."""
        return self.ports[0]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self not in Server.live:
            return
        Server.live.remove(self)
        tree = process_tree(self.pid)
        how = "had exited"
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            how = "stopped by SIGTERM"
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                how = "killed: still running 10 s after SIGTERM"
        left = [p for p in tree if alive(*p)]
        for pid, _ in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.log_tail(f"{how}, exit status {self.process.returncode}, {len(left)} of its {len(tree)} "
                      f"descendants killed")
        wait_until(lambda: not any(alive(*p) for p in tree), f"{self.name}: processes left after stop", 10)
        wait_until(lambda: all(port_free(p) for p in self.ports), f"{self.name}: ports {self.ports} still busy", 10)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def log_tail(self, outcome):
        """Appends the head and the tail of the server's output to the run's log."""
        with open(self.output, "rb") as output:
            size = output.seek(0, os.SEEK_END)
            output.seek(0)
            if size <= self.LOG_HEAD + self.LOG_TAIL:
                text = output.read().decode(errors="replace")
            else:
                head = output.read(self.LOG_HEAD).decode(errors="replace")
                output.seek(size - self.LOG_TAIL)
                text = f"{head}\n[... {(size - self.LOG_HEAD - self.LOG_TAIL) >> 10} KiB left out ...]\n" + \
                       output.read().decode(errors="replace")
        self.log.write(f"--- {self.name}, pid {self.pid}: {' '.join(self.process.args[3:])}\n{text}"
                       f"--- {self.name}: {outcome}\n\n")
        self.log.flush()


def node_upstream(log):
    """The Node upstream on its own, answering GET /."""
    port = free_port()
    server = Server("node", ["node", str(UPSTREAM), str(port)], log, ports=[port])
    wait_until(lambda: request_status(port, "GET", "/", timeout=2) == 200, "node upstream", 30, server.process)
    return server


def watchdog(kind, settings, log, other=None):
    """A watchdog started with the given environment, not yet waited for."""
    port = free_port()
    # of-watchdog reads healthcheck_interval=0 as "never finish the shutdown" (time.Tick(0) is nil)
    env = dict(os.environ, port=str(port), healthcheck_interval="1ms", **settings)
    if kind == "fwatchdog":
        metrics = free_port()
        env["metrics_port"] = str(metrics)
        argv = [str(HOME / "bin/fwatchdog")]
    else:
        metrics = OTHER_METRICS_PORT
        if not port_free(metrics):
            raise RuntimeError(f"port {metrics} is busy: the other watchdog serves its metrics there")
        argv = [other]
    return Server(kind, argv, log, env=env, ports=[port, metrics])


def http_watchdog(kind, log, other):
    upstream = free_port()
    return watchdog(kind, {"mode": "http", "fprocess": f"node {UPSTREAM} {upstream}",
                           "upstream_url": f"http://127.0.0.1:{upstream}"}, log, other)


def wait_first_answer(server):
    """Waits for the first 200 to GET / (the function's answer); returns ms since exec."""
    wait_until(lambda: request_status(server.port, "GET", "/", timeout=2) == 200,
               f"{server.name}: first function answer", 60, server.process)
    return (time.monotonic() - server.started) * 1000


def haproxy(upstream_port, log):
    port, tmp = free_port(), tempfile.mkdtemp(prefix="fwatchdog-compare-")
    config = pathlib.Path(tmp, "haproxy.cfg")
    config.write_text(f"""global
    nbthread 1
    maxconn 4096

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    http-reuse always

frontend bench
    bind 127.0.0.1:{port}
    default_backend upstream

backend upstream
    server node 127.0.0.1:{upstream_port}
""")
    server = Server("haproxy", ["haproxy", "-db", "-f", str(config)], log, ports=[port], tmp=tmp)
    wait_until(lambda: request_status(port, "GET", "/", timeout=2) == 200, "haproxy", 30, server.process)
    return server


def nginx(upstream_port, log):
    port, tmp = free_port(), tempfile.mkdtemp(prefix="fwatchdog-compare-")
    os.chmod(tmp, 0o755)  # the worker runs as nobody when nginx starts as root
    config = pathlib.Path(tmp, "nginx.conf")
    temp_paths = "".join(f"    {kind}_temp_path {tmp}/{kind};\n"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    config.write_text(f"""daemon off;
master_process on;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
{temp_paths}
    upstream node {{
        server 127.0.0.1:{upstream_port};
        keepalive 64;
    }}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://node;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
""")
    server = Server("nginx", ["nginx", "-p", tmp, "-e", f"{tmp}/error.log", "-c", str(config)], log,
                    ports=[port], tmp=tmp)
    wait_until(lambda: request_status(port, "GET", "/", timeout=2) == 200, "nginx", 30, server.process)
    return server


@contextlib.contextmanager
def http_target(name, log, other):
    """One http-mode target, started fresh and answering; yields the port the load goes to, the
    proxy's processes (none for direct) and the upstream's."""
    with contextlib.ExitStack() as stack:
        if name in ("fwatchdog", "other"):
            w = stack.enter_context(http_watchdog(name, log, other))
            wait_first_answer(w)
            yield w.port, [w.pid], [pid for pid, _ in process_tree(w.pid)]
            return
        upstream = stack.enter_context(node_upstream(log))
        if name == "direct":
            yield upstream.port, [], [upstream.pid]
            return
        proxy = stack.enter_context((haproxy if name == "haproxy" else nginx)(upstream.port, log))
        yield proxy.port, [proxy.pid] + [pid for pid, _ in process_tree(proxy.pid)], [upstream.pid]


# --- load ------------------------------------------------------------------------------------

def url(port, path="/"):
    return f"http://127.0.0.1:{port}{path}"


def hey(jobs):
    """Runs hey jobs (port, path, requests, connections, body file or None) at once on the load
    core, and checks every request of every job got a 200."""
    running = []
    try:
        for port, path, requests, connections, body in jobs:
            argv = ["taskset", "-c", LOAD_CORE, "hey", "-n", str(requests), "-c", str(connections)]
            if body is not None:
                argv += ["-m", "POST", "-D", str(body)]
            running.append((subprocess.Popen([*argv, url(port, path)], stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE, text=True), requests // connections * connections))
        for process, expected in running:  # hey sends requests // connections per connection
            out, err = process.communicate()
            if process.returncode != 0 or f"[200]\t{expected} responses" not in out:
                raise RuntimeError(f"hey: not every request got a 200 (exit {process.returncode}):\n{out}{err}")
    finally:
        for process, _ in running:
            if process.poll() is None:
                process.kill()
                process.wait()


def rss_mib(pid):
    return proc_status_kib(pid, "VmRSS") / 1024


def rotated(items, by):
    by %= len(items)
    return items[by:] + items[:by]


# --- the suites ------------------------------------------------------------------------------

def http_round(targets, round_, args, log):
    """Every http-mode target once, in this round's order: {target: {connections: wrk result}}."""
    results = {}
    for name in rotated(targets, round_):
        with http_target(name, log, args.other) as (port, proxy, upstream):
            if args.warmup:
                wrk(url(port), None, 64, args.warmup)
            results[name] = {c: measured_wrk(port, c, args.seconds, proxy, upstream) for c in HTTP_CONNECTIONS}
    return results


def measured_wrk(port, connections, seconds, proxy, upstream):
    """A wrk GET run, with what each request cost the proxy's and the upstream's processes: CPU
    in µs (user, system) and context switches (voluntary, preempted)."""
    before = task_counters(proxy), task_counters(upstream)
    result = wrk(url(port), None, connections, seconds)
    after = task_counters(proxy), task_counters(upstream)
    requests = result["rps"] * seconds
    for side, b, a in (("proxy", before[0], after[0]), ("upstream", before[1], after[1])):
        result[side] = {"user_us": (a[0] - b[0]) * 1e6 / requests, "system_us": (a[1] - b[1]) * 1e6 / requests,
                        "voluntary": (a[2] - b[2]) / requests, "preempted": (a[3] - b[3]) / requests}
    return result


def fork_round(kinds, round_, args, log, body):
    """Every fork-mode target and the floor once, in this round's order: {target: wrk result},
    the floor as {"rps": round trips per second}."""
    targets = [f"{kind} {mode}" for kind in kinds for mode in FORK_MODES] + ["floor"]
    results = {}
    for target in rotated(targets, round_):
        if target == "floor":
            results[target] = {"rps": spawn_baseline(args.baseline, body.stat().st_size, args.seconds)}
            continue
        kind, mode = target.split()
        with watchdog(kind, {"mode": mode, "fprocess": "cat"}, log, args.other) as w:
            wait_until(lambda: health_status(w.port) == 200, f"{target}: healthy", 60, w.process)
            wrk(url(w.port), body, FORK_CONNECTIONS, 2)  # warm-up
            results[target] = wrk(url(w.port), body, FORK_CONNECTIONS, args.seconds)
    return results


def startup_round(kinds, round_, log, other):
    """Per watchdog: exec → first 200 on /_/health (streaming, cat), exec → first function
    answer (http mode, Node upstream)."""
    results = {}
    for kind in rotated(kinds, round_):
        with watchdog(kind, {"mode": "streaming", "fprocess": "cat"}, log, other) as w:
            wait_until(lambda: health_status(w.port) == 200, f"{kind}: healthy", 60, w.process)
            healthy = (time.monotonic() - w.started) * 1000
        with http_watchdog(kind, log, other) as w:
            results[kind] = {"healthy_ms": healthy, "first_answer_ms": wait_first_answer(w)}
    return results


def warmup_curve(kind, args, log):
    """Requests per second in each of the first args.curve seconds after the first function
    answer of a fresh http-mode watchdog, one wrk run per second at 64 connections."""
    with http_watchdog(kind, log, args.other) as w:
        wait_first_answer(w)
        return [wrk(url(w.port), None, 64, 1)["rps"] for _ in range(args.curve)]


def memory_run(kind, args, log, echo_body):
    """VmRSS of the watchdog process (not its function) through an http-mode life, and the rate
    of its first requests against the rate once warm (the same count, after the burst)."""
    with http_watchdog(kind, log, args.other) as w:
        wait_first_answer(w)
        time.sleep(2)
        result = {"process": pathlib.Path(f"/proc/{w.pid}/comm").read_text().strip(), "idle_mib": rss_mib(w.pid)}
        start = time.monotonic()
        hey([(w.port, "/", args.requests, 8, None)])
        result["first_rps"] = args.requests / (time.monotonic() - start)
        result["after_requests_mib"] = rss_mib(w.pid)
        echoes = args.burst // 8
        start = time.monotonic()
        hey([(w.port, "/", args.burst - echoes, 56, None), (w.port, "/echo", echoes, 8, echo_body)])
        result["burst_s"] = time.monotonic() - start
        result["after_burst_mib"] = rss_mib(w.pid)
        time.sleep(args.idle)
        result["after_idle_mib"] = rss_mib(w.pid)
        result["after_idle_anon_mib"] = proc_status_kib(w.pid, "RssAnon") / 1024
        start = time.monotonic()
        hey([(w.port, "/", args.requests, 8, None)])
        result["warm_rps"] = args.requests / (time.monotonic() - start)
    return result


# --- the report ------------------------------------------------------------------------------

def fmt(values, digits):
    return ", ".join(f"{v:.{digits}f}" for v in values)


def http_table(rounds, targets):
    lines = ["| target | conns | req/s | ÷ direct, per round | ÷ direct | p50 ms | p50 added ms, per round "
             "| p50 added ms | p99 ms | errors |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name in targets:
        for c in HTTP_CONNECTIONS:
            runs = [(r[name][c], r["direct"][c]) for r in rounds]
            rps = statistics.median(t["rps"] for t, _ in runs)
            p50 = statistics.median(t["p50_ms"] for t, _ in runs)
            p99 = statistics.median(t["p99_ms"] for t, _ in runs)
            errors = sum(t["errors"] for t, _ in runs)
            if name == "direct":
                lines.append(f"| direct | {c} | {rps:.0f} | — | — | {p50:.2f} | — | — | {p99:.2f} | {errors} |")
                continue
            ratios = [t["rps"] / d["rps"] for t, d in runs]
            added = [t["p50_ms"] - d["p50_ms"] for t, d in runs]
            lines.append(f"| {name} | {c} | {rps:.0f} | {fmt(ratios, 2)} | {statistics.median(ratios):.2f} | "
                         f"{p50:.2f} | {fmt(added, 2)} | {statistics.median(added):.2f} | {p99:.2f} | {errors} |")
    return lines


def cost_table(rounds, targets):
    """What a request cost the proxy and the upstream, from their threads' /proc counters."""
    lines = ["| target | conns | proxy user µs | proxy system µs | proxy switches: voluntary, preempted "
             "| upstream CPU µs | upstream switches: voluntary, preempted |", "|---|---|---|---|---|---|---|"]
    for name in targets:
        for c in HTTP_CONNECTIONS:
            runs = [r[name][c] for r in rounds]

            def med(side, key):
                return statistics.median(run[side][key] for run in runs)
            upstream_cpu = statistics.median(run["upstream"]["user_us"] + run["upstream"]["system_us"] for run in runs)
            proxy = ("— | — | —" if name == "direct" else
                     f"{med('proxy', 'user_us'):.1f} | {med('proxy', 'system_us'):.1f} | "
                     f"{med('proxy', 'voluntary'):.3f}, {med('proxy', 'preempted'):.3f}")
            lines.append(f"| {name} | {c} | {proxy} | {upstream_cpu:.1f} | "
                         f"{med('upstream', 'voluntary'):.3f}, {med('upstream', 'preempted'):.3f} |")
    return lines


def fork_table(rounds, kinds):
    lines = ["| mode | target | req/s | ÷ floor, per round | ÷ floor | p50 ms | p99 ms | errors |",
             "|---|---|---|---|---|---|---|---|"]
    for mode in FORK_MODES:
        for kind in kinds:
            runs = [(r[f"{kind} {mode}"], r["floor"]) for r in rounds]
            ratios = [t["rps"] / f["rps"] for t, f in runs]
            lines.append(f"| {mode} | {kind} | {statistics.median(t['rps'] for t, _ in runs):.0f} | "
                         f"{fmt(ratios, 2)} | {statistics.median(ratios):.2f} | "
                         f"{statistics.median(t['p50_ms'] for t, _ in runs):.2f} | "
                         f"{statistics.median(t['p99_ms'] for t, _ in runs):.2f} | {sum(t['errors'] for t, _ in runs)} |")
    floor = statistics.median(r["floor"]["rps"] for r in rounds)
    lines.append(f"| — | floor (posix_spawn + cat, 100 B) | {floor:.0f} | — | 1 | — | — | — |")
    return lines


def startup_table(startups, memory, kinds, args):
    lines = [f"| watchdog | exec → healthy ms (streaming, cat) | exec → first answer ms (http, Node) | idle RSS MiB "
             f"| RSS after {args.requests} requests MiB | RSS after the burst MiB | RSS after {args.idle:g} s idle MiB "
             f"(anonymous) | burst s | first {args.requests} requests ÷ warm rate |", "|---|---|---|---|---|---|---|---|---|"]
    for kind in kinds:
        healthy = statistics.median(row[kind]["healthy_ms"] for row in startups)
        first = statistics.median(row[kind]["first_answer_ms"] for row in startups)
        runs = memory[kind]
        lines.append(f"| {kind} | {healthy:.0f} | {first:.0f} | "
                     f"{statistics.median(r['idle_mib'] for r in runs):.1f} | "
                     f"{statistics.median(r['after_requests_mib'] for r in runs):.1f} | "
                     f"{statistics.median(r['after_burst_mib'] for r in runs):.1f} | "
                     f"{statistics.median(r['after_idle_mib'] for r in runs):.1f} "
                     f"({statistics.median(r['after_idle_anon_mib'] for r in runs):.1f}) | "
                     f"{statistics.median(r['burst_s'] for r in runs):.1f} | "
                     f"{statistics.median(r['first_rps'] / r['warm_rps'] for r in runs):.2f} |")
    return lines


def warmup_table(curves, http, kinds):
    """Each second's rate ÷ the warm rate (the http table's median at 64 connections), median over
    runs, and the first second from which every later one is at 0.9 of it or more."""
    lines = ["| watchdog | warm req/s | each second ÷ warm (1, 2, 3 …) | ≥ 0.9 from second |", "|---|---|---|---|"]
    for kind in kinds:
        warm = statistics.median(r[kind][64]["rps"] for r in http)
        seconds = [statistics.median(run[i] for run in curves[kind]) / warm for i in range(len(curves[kind][0]))]
        settled = next((i + 1 for i in range(len(seconds)) if all(v >= 0.9 for v in seconds[i:])), None)
        lines.append(f"| {kind} | {warm:.0f} | {fmt(seconds, 2)} | {settled if settled else 'not within the run'} |")
    return lines


def command_output(argv):
    done = subprocess.run(argv, capture_output=True, text=True)
    return (done.stdout + done.stderr).strip().splitlines()[0] if done.returncode == 0 else None


def sha256(path):
    return command_output(["sha256sum", path]).split()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--other", help="the other watchdog's binary (e.g. of-watchdog); without it, fwatchdog "
                                        "is compared with the proxies and the floor only")
    parser.add_argument("--baseline", required=True, help="the compiled spawn_baseline (bench/run.sh builds it)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the http and fork-mode comparisons")
    parser.add_argument("--seconds", type=int, default=10, help="duration of each measured wrk run")
    parser.add_argument("--warmup", type=int, default=15, help="wrk warm-up of each http-mode target, seconds "
                                                               "(the fork modes warm up for 2 s)")
    parser.add_argument("--startups", type=int, default=10, help="start-ups per watchdog and mode")
    parser.add_argument("--curve", type=int, default=15, help="seconds of each warm-up curve (0: none)")
    parser.add_argument("--curve-rounds", type=int, default=3, help="warm-up curves per watchdog")
    parser.add_argument("--memory-rounds", type=int, default=3, help="http-mode memory runs per watchdog")
    parser.add_argument("--requests", type=int, default=10_000, help="http requests before the second RSS reading")
    parser.add_argument("--burst", type=int, default=20_000,
                        help="requests of the burst at 64 connections, one in eight a 256 KiB echo")
    parser.add_argument("--idle", type=float, default=60, help="idle seconds after the burst before the last RSS")
    parser.add_argument("--no-assemble", action="store_true", help="reuse the folder under bench/results/compare")
    args = parser.parse_args()
    if args.other:
        args.other = str(pathlib.Path(args.other).resolve())
    kinds = ["fwatchdog", "other"] if args.other else ["fwatchdog"]
    http_targets = [t for t in HTTP_TARGETS if t in kinds or t not in ("fwatchdog", "other")]

    WORK.mkdir(parents=True, exist_ok=True)
    if not args.no_assemble or not HOME.exists():
        shutil.rmtree(HOME, ignore_errors=True)
        subprocess.run([str(ROOT / "watchdog/src/dist/assemble.sh"), str(HOME)], check=True, stdout=sys.stderr)
    os.sched_setaffinity(0, {int(LOAD_CORE)})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))  # so the finally below runs

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    record = {"date": stamp, "host": platform.node(), "nproc": os.cpu_count(),
              "commit": command_output(["git", "-C", str(ROOT), "rev-parse", "HEAD"]),
              "dirty": bool(subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"],
                                           capture_output=True, text=True).stdout.strip()),
              "load_average_start": os.getloadavg(),
              "other": {"path": args.other, "sha256": sha256(args.other)} if args.other else None,
              "versions": {tool: command_output(argv) for tool, argv in (
                  ("haproxy", ["haproxy", "-v"]), ("nginx", ["nginx", "-v"]), ("node", ["node", "--version"]))},
              "settings": {k: v for k, v in vars(args).items() if k != "other"}}
    echo_body, small_body = WORK / "body-256KiB", WORK / "body-100B"
    echo_body.write_bytes(os.urandom(ECHO_BYTES))
    small_body.write_bytes(os.urandom(100))
    log = open(WORK / f"{stamp}.log", "w")
    try:
        http, fork, startups = [], [], []
        for round_ in range(args.rounds):
            print(f"round {round_ + 1}/{args.rounds}: http mode, fork modes", file=sys.stderr)
            http.append(http_round(http_targets, round_, args, log))
            fork.append(fork_round(kinds, round_, args, log, small_body))
        print("start-ups", file=sys.stderr)
        startups = [startup_round(kinds, round_, log, args.other) for round_ in range(args.startups)]
        curves = {kind: [] for kind in kinds}
        for round_ in range(args.curve_rounds if args.curve else 0):
            for kind in rotated(kinds, round_):
                print(f"warm-up curve {round_ + 1}/{args.curve_rounds}: {kind}", file=sys.stderr)
                curves[kind].append(warmup_curve(kind, args, log))
        memory = {kind: [] for kind in kinds}
        for round_ in range(args.memory_rounds):
            for kind in rotated(kinds, round_):
                print(f"memory {round_ + 1}/{args.memory_rounds}: {kind}", file=sys.stderr)
                memory[kind].append(memory_run(kind, args, log, echo_body))
    finally:
        for server in list(Server.live):
            server.stop()
        log.close()
    record["load_average_end"] = os.getloadavg()
    record.update(http=[{t: {str(c): r for c, r in by_c.items()} for t, by_c in rnd.items()} for rnd in http],
                  fork=fork, startups=startups, curves=curves, memory=memory)

    other = f"`{args.other}` (sha256 {record['other']['sha256'][:12]})" if args.other else "none (no --other)"
    lines = [f"# fwatchdog compared, {stamp}", "",
             f"- commit {record['commit'][:12]}{' (uncommitted changes)' if record['dirty'] else ''}, "
             f"host {record['host']}, nproc {record['nproc']}",
             f"- load average at start {fmt(record['load_average_start'], 2)}, at end {fmt(record['load_average_end'], 2)}",
             f"- other watchdog: {other}; {', '.join(v for v in record['versions'].values() if v)}",
             f"- watchdog, proxies, upstream and functions on core {WATCHDOG_CORE}, load on core {LOAD_CORE}; "
             f"rounds: {args.rounds} of {args.seconds} s per wrk run (http warm-up {args.warmup} s); medians of rounds",
             "", f"## http mode: GET of 3 bytes from the Node upstream", "", *http_table(http, http_targets),
             "", "### What a request cost (per request, each thread's CPU time and context switches from /proc; "
                 "the watchdogs' rows include all their JVM or Go runtime threads)", "",
             *cost_table(http, http_targets),
             "", f"## Fork modes: cat, 100 B, {FORK_CONNECTIONS} connections", "", *fork_table(fork, kinds),
             "", f"## Start-up and memory (medians of {args.startups} start-ups and {args.memory_rounds} memory runs; "
                 f"burst: {args.burst} requests at 64 connections, one in eight a 256 KiB echo)", "",
             *startup_table(startups, memory, kinds, args)]
    if args.curve:
        lines += ["", f"## Warm-up: the first {args.curve} s after the first answer (http mode, 64 connections; "
                      f"medians of {args.curve_rounds} runs)", "", *warmup_table(curves, http, kinds)]
    report = "\n".join(lines)
    print(report)
    (WORK / f"{stamp}.md").write_text(report + "\n")
    (WORK / f"{stamp}.json").write_text(json.dumps(record, indent=1))
    print(f"\nwritten: {WORK / stamp}.md and .json", file=sys.stderr)


if __name__ == "__main__":
    main()
