#!/usr/bin/env python3
"""Measures how soon each template answers its first request after the watchdog is started.

Each template is laid out as its image lays it out (template/run-local's prepare), then in
each round the watchdog is started with the template's ENV, pinned to one core with its
function, and sent the starter function's first request every 2 ms from the other core
until the function's answer arrives. Each such start is paired with one of the bare watchdog
in streaming mode in front of `cat`, just before or after it: the ratio (median of the
pairs' ratios) is what the template's runtime (python3, node, a second JVM) adds to the
watchdog's own start-up.
The last column is the function's own command started without the watchdog (an http
template's entry program until it answers, a command template's one run), same core.

Run it through bench/run.sh templates [--rounds 5].
"""
import argparse
import http.client
import importlib.machinery
import importlib.util
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from bench import ROOT, WATCHDOG_CORE, LOAD_CORE, free_port, health_status, java_command

loader = importlib.machinery.SourceFileLoader("run_local", str(ROOT / "template" / "run-local"))
spec = importlib.util.spec_from_loader("run_local", loader)
run_local = importlib.util.module_from_spec(spec)
loader.exec_module(run_local)

# The starter function's first request and the status that is its answer (template/README.md).
FIRST = {"http": ("GET", "/?name=Ada", None, 200), "afterburn": ("GET", "/?name=Ada", None, 200),
         "streaming": ("POST", "/", b"hello", 200), "serializing": ("POST", "/", b"hello", 200)}


def answer(port, method, path, body):
    """The status of one request, or None while nothing answers."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request(method, path, body=body)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status
    except OSError:
        return None


def first_answer(env, mode, log):
    """(ms to healthy, ms to the function's first answer) of one watchdog start."""
    port = free_port()
    method, path, body, expected = FIRST[mode]
    tmp = tempfile.TemporaryDirectory(prefix="fwatchdog-bench-")
    env = dict(os.environ, TMPDIR=tmp.name, port=str(port), metrics_port="0", healthcheck_interval="0", **env)
    start = time.monotonic()
    process = subprocess.Popen(["taskset", "-c", WATCHDOG_CORE, *java_command(mode)], env=env, stdout=log, stderr=log)
    healthy = None
    try:
        while True:
            if process.poll() is not None or time.monotonic() - start > 60:
                raise RuntimeError("watchdog exited or did not answer: see %s" % log.name)
            if healthy is None and health_status(port) == 200:
                healthy = (time.monotonic() - start) * 1000
            if healthy is not None and answer(port, method, path, body) == expected:
                return healthy, (time.monotonic() - start) * 1000
            time.sleep(0.002)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        tmp.cleanup()


def function_alone(env, mode):
    """ms from starting the function's own command (no watchdog) to its first answer."""
    method, path, body, expected = FIRST[mode]
    command = shlex.split(env["fprocess"])
    process_env = dict(os.environ, **env)
    start = time.monotonic()
    if mode not in ("http", "afterburn"):
        subprocess.run(["taskset", "-c", WATCHDOG_CORE, *command], input=body, env=dict(process_env, Http_Method=method),
                       capture_output=True, check=True)
        return (time.monotonic() - start) * 1000
    port = free_port()
    process_env["upstream_url"] = "http://127.0.0.1:%d" % port
    process = subprocess.Popen(["taskset", "-c", WATCHDOG_CORE, *command], env=process_env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while answer(port, method, path, body) != expected:
            if process.poll() is not None or time.monotonic() - start > 60:
                raise RuntimeError("%s exited or did not answer" % env["fprocess"])
            time.sleep(0.002)
        return (time.monotonic() - start) * 1000
    finally:
        process.terminate()
        process.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("templates", nargs="*", help="default: every template")
    args = parser.parse_args()
    os.sched_setaffinity(0, {int(LOAD_CORE)})

    names = args.templates or sorted(d for d in os.listdir(run_local.TEMPLATES)
                                     if os.path.isfile(os.path.join(run_local.TEMPLATES, d, "template.yml")))
    work = tempfile.mkdtemp(prefix="fwatchdog-templates-bench-")
    os.makedirs(ROOT / "bench" / "results", exist_ok=True)
    log = open(ROOT / "bench" / "results" / "templates-watchdog.log", "w")
    prepared = {}
    for name in names:
        home, env = run_local.prepare(os.path.join(run_local.TEMPLATES, name), None, os.path.join(work, name))
        prepared[name] = env
    # Each template is paired with a bare watchdog started just before or after it (the order
    # alternates), so each ratio compares two starts under the same load.
    rows = {name: [] for name in names}
    for round_ in range(args.rounds):
        for name in names:
            env = prepared[name]
            mode = env.get("mode", "streaming")
            bare_env = {"mode": "streaming", "fprocess": "cat"}
            if round_ % 2 == 0:
                bare = first_answer(bare_env, "streaming", log)
                healthy, first = first_answer(env, mode, log)
            else:
                healthy, first = first_answer(env, mode, log)
                bare = first_answer(bare_env, "streaming", log)
            rows[name].append((healthy, first, bare[1], first / bare[1], function_alone(env, mode)))
        print("round %d done" % (round_ + 1), file=sys.stderr)

    print("| template | mode | watchdog start → healthy ms | → first answer ms | bare watchdog (`cat`) → first answer ms | ratio | function alone → first answer ms |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        healthy, first, bare, ratio, alone = (statistics.median(r[i] for r in rows[name]) for i in range(5))
        print("| %s | %s | %.0f | %.0f | %.0f | %.2f | %.0f |" % (name, prepared[name].get("mode", "streaming"),
                                                              healthy, first, bare, ratio, alone))
    print("\nmedians of %d rounds; log: %s" % (args.rounds, log.name))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
