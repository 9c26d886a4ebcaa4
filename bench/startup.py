#!/usr/bin/env python3
"""Start-up and memory of the watchdog, four ways, side by side.

  plain  the build's JDK, java -jar watchdog/target/fwatchdog.jar (the JDK's default CDS archive)
  jlink  the assembled folder's jlink runtime, no class-data sharing at all
  cds    the same runtime with a default CDS archive of its JDK classes (java -Xshare:dump)
  aot    the assembled folder through its launcher: jlink runtime plus the trained AOT cache

Per round and variant, in a rotating order: exec, then the time to the first 200 on /_/health,
then to the first function response in streaming mode (POST to cat), and the RSS once idle.
Then, for fewer rounds, RSS after N http-mode requests through the proxy (upstream: Node).
Every figure is the median over rounds. The watchdog is pinned to core 0, the poller and the
load generator to core 1.

Run it through bench/run.sh startup, which builds the jar; this script assembles the folder
(watchdog/src/dist/assemble.sh) under bench/results/startup/.
"""
import argparse
import datetime
import os
import pathlib
import platform
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

from bench import (BENCH, LOAD_CORE, ROOT, WATCHDOG_CORE, free_port, health_status, java_command, proc_status_kib,
                   request_status)

WORK = BENCH / "results/startup"
HOME = WORK / "fwatchdog"
CDS_RUNTIME = WORK / "runtime-cds"
VARIANTS = ["plain", "jlink", "cds", "aot"]


def assemble():
    if HOME.exists():
        shutil.rmtree(HOME)
    subprocess.run([str(ROOT / "watchdog/src/dist/assemble.sh"), str(HOME)], check=True)
    if CDS_RUNTIME.exists():
        shutil.rmtree(CDS_RUNTIME)
    shutil.copytree(HOME / "runtime", CDS_RUNTIME, symlinks=True)
    subprocess.run([str(CDS_RUNTIME / "bin/java"), "-XX:+UseSerialGC", "-Xshare:dump"],
                   check=True, stdout=subprocess.DEVNULL)


def command(variant, mode, extra):
    fork = [] if mode == "http" else [f"@{HOME}/jvm-fork.options"]
    if variant == "plain":
        base = java_command(mode)
        return [*base[:-2], *extra, *base[-2:]]
    if variant == "aot":
        return [str(HOME / "bin/fwatchdog")]
    runtime = HOME / "runtime" if variant == "jlink" else CDS_RUNTIME
    share = ["-Xshare:off"] if variant == "jlink" else ["-Xshare:on"]
    return [str(runtime / "bin/java"), f"@{HOME}/jvm.options", *fork, *share,
            f"-Djava.library.path={HOME}/native", *extra, "-jar", str(HOME / "fwatchdog.jar")]


class Run:
    """One watchdog start of a variant, timed from just before exec."""

    def __init__(self, variant, mode, settings, extra, log):
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="fwatchdog-startup-")
        env = dict(os.environ, TMPDIR=self.tmp, port=str(self.port), metrics_port="0",
                   healthcheck_interval="0", mode=mode, **settings)
        if variant == "aot" and extra:
            env["FWATCHDOG_JAVA_OPTS"] = " ".join(extra)
        argv = ["taskset", "-c", WATCHDOG_CORE, *command(variant, mode, extra)]
        self.started = time.monotonic()
        self.process = subprocess.Popen(argv, env=env, stdout=log, stderr=log)
        deadline = self.started + 60
        while health_status(self.port) != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                raise RuntimeError(f"{variant} {mode} did not become healthy")
            time.sleep(0.002)
        self.healthy_ms = (time.monotonic() - self.started) * 1000
        self.healthy_cpu_ms = self.cpu_ms()

    def cpu_ms(self):
        """User + system CPU time the watchdog has used (taskset and the launcher exec it)."""
        fields = pathlib.Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")

    def rss_mib(self):
        return proc_status_kib(self.process.pid, "VmRSS") / 1024

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=60)
        shutil.rmtree(self.tmp, ignore_errors=True)
        if status != 0:
            raise RuntimeError(f"exit status {status} after SIGTERM")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="start-ups per variant (default 20)")
    parser.add_argument("--rss-rounds", type=int, default=3, help="http-mode RSS runs per variant (default 3)")
    parser.add_argument("--requests", type=int, default=10000, help="http-mode requests before the RSS reading")
    parser.add_argument("--idle-seconds", type=float, default=2.0, help="wait before the idle RSS reading")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--java-opt", action="append", default=[], help="an extra JVM option for every variant")
    parser.add_argument("--no-assemble", action="store_true", help="reuse the folder under bench/results/startup")
    args = parser.parse_args()
    variants = args.variants.split(",")

    if not args.no_assemble:
        assemble()
    log = open(WORK / "watchdog.log", "w")
    results = {v: {"healthy": [], "cpu": [], "first": [], "idle": [], "http": []} for v in variants}
    for round_ in range(args.rounds):
        order = variants[round_ % len(variants):] + variants[:round_ % len(variants)]
        for variant in order:
            run = Run(variant, "streaming", {"fprocess": "cat"}, args.java_opt, log)
            try:
                if request_status(run.port, "POST", "/", b"hello") != 200:
                    raise RuntimeError(f"{variant}: the first request failed")
                results[variant]["first"].append((time.monotonic() - run.started) * 1000)
                results[variant]["healthy"].append(run.healthy_ms)
                results[variant]["cpu"].append(run.healthy_cpu_ms)
                time.sleep(args.idle_seconds)
                results[variant]["idle"].append(run.rss_mib())
            finally:
                run.stop()

    for round_ in range(args.rss_rounds):
        for variant in variants:
            upstream = free_port()
            run = Run(variant, "http", {"fprocess": f"node {BENCH}/upstream.js {upstream}",
                                        "upstream_url": f"http://127.0.0.1:{upstream}"}, args.java_opt, log)
            try:
                out = subprocess.run(["taskset", "-c", LOAD_CORE, "hey", "-n", str(args.requests), "-c", "8",
                                      f"http://127.0.0.1:{run.port}/"], capture_output=True, text=True,
                                     check=True).stdout
                # hey sends requests // connections per connection
                if f"[200]\t{args.requests // 8 * 8} responses" not in out:
                    raise RuntimeError(f"{variant}: not every http-mode request got 200:\n{out}")
                results[variant]["http"].append(run.rss_mib())
            finally:
                run.stop()

    runtime_mib = sum(f.stat().st_size for f in (HOME / "runtime").rglob("*") if f.is_file()) / (1 << 20)
    cache_mib = (HOME / "fwatchdog.aot").stat().st_size / (1 << 20)
    print(f"\nstart-up, {datetime.date.today()}, {platform.node()}, {os.cpu_count()} cores; "
          f"medians of {args.rounds} start-ups and {args.rss_rounds} http-mode runs of {args.requests} requests")
    print(f"runtime folder {runtime_mib:.1f} MiB, AOT cache {cache_mib:.1f} MiB"
          + (f", extra options {' '.join(args.java_opt)}" if args.java_opt else ""))
    print("\n| variant | healthy ms | CPU ms until healthy | first response ms | idle RSS MiB "
          "| RSS after http requests MiB | healthy ÷ plain | CPU ÷ plain |")
    print("|---|---|---|---|---|---|---|---|")
    plain = {k: statistics.median(results["plain"][k]) for k in ("healthy", "cpu")} if "plain" in results else None
    for variant in variants:
        r = results[variant]
        healthy, cpu = statistics.median(r["healthy"]), statistics.median(r["cpu"])
        http = f"{statistics.median(r['http']):.1f}" if r["http"] else "-"
        ratios = (f"{healthy / plain['healthy']:.2f} | {cpu / plain['cpu']:.2f}") if plain else "- | -"
        print(f"| {variant} | {healthy:.0f} | {cpu:.0f} | {statistics.median(r['first']):.0f} | "
              f"{statistics.median(r['idle']):.1f} | {http} | {ratios} |")


if __name__ == "__main__":
    main()
