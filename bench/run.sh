#!/usr/bin/env bash
# Reruns a benchmark: installs the load tools, builds the watchdog and the bare spawn baseline,
# then runs one suite; further arguments pass through (e.g. --rounds 5 --seconds 20).
#   bench/run.sh                 fork modes (bench.py)
#   bench/run.sh http            http mode against the same upstream directly (http_mode.py)
#   bench/run.sh observability   the cost of metrics and JSON logs (observability.py)
#   bench/run.sh afterburn       afterburn vs http vs serializing, same handler (afterburn.py)
#   bench/run.sh templates       each template's first answer after start-up (templates.py)
#   bench/run.sh startup         start-up and RSS: java -jar, jlink, jlink + CDS, AOT cache (startup.py)
#   bench/run.sh prefork         fork modes with and without prefork: cat, Node, Python (prefork.py)
#   bench/run.sh soak            reliability under a steady mixed load, per mode (soak.py; --minutes)
#   bench/run.sh compare         side by side: another watchdog (--other PATH), haproxy, nginx (compare.py)
# Results are printed and kept under bench/results/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

missing=()
# strip and patchelf: startup.py and compare.py assemble the image's folder (assemble.sh);
# haproxy and nginx: compare.py's reference proxies.
for tool in wrk hey curl taskset gcc node strip patchelf haproxy nginx; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    packages=$(printf '%s\n' "${missing[@]}" | sed 's/^taskset$/util-linux/; s/^node$/nodejs/; s/^strip$/binutils/')
    apt-get update -qq && apt-get install -y -qq $packages
fi
if (($(nproc) < 2)); then
    echo "bench: needs two cores (one for the watchdog, one for the load)" >&2
    exit 1
fi

"$root/mvnw" -q -B -f "$root/pom.xml" -DskipTests package
mkdir -p "$root/bench/results"
gcc -O2 -o "$root/bench/results/spawn_baseline" "$root/bench/spawn_baseline.c"
cd "$root/bench"
case ${1:-} in
    http) shift; exec python3 http_mode.py "$@" ;;
    observability) shift; exec python3 observability.py "$@" ;;
    afterburn) shift; exec python3 afterburn.py "$@" ;;
    templates) shift; exec python3 templates.py "$@" ;;
    startup) shift; exec python3 startup.py "$@" ;;
    prefork) shift; exec python3 prefork.py "$@" ;;
    soak) shift; exec python3 soak.py "$@" ;;
    compare) shift; exec python3 compare.py --baseline "$root/bench/results/spawn_baseline" "$@" ;;
    *) exec python3 bench.py --baseline "$root/bench/results/spawn_baseline" "$@" ;;
esac
