#!/usr/bin/env bash
# Trains the AOT cache of an assembled fwatchdog folder: runs io.fwatchdog.Training (every
# mode, a few requests each, the last watchdog stopped by SIGTERM) on the folder's own
# runtime under -XX:AOTCacheOutput, which writes HOME/fwatchdog.aot when the JVM exits.
#
#   train-aot.sh HOME
#
# The cache is only used by a JVM whose class path is the one recorded here, so train the
# folder where it will run (the image trains in /opt/fwatchdog): a moved folder still starts,
# without the cache. The JVM options are the folder's jvm.options, as the launcher passes them.
set -euo pipefail

if (($# != 1)); then
    echo "usage: $0 HOME" >&2
    exit 2
fi
home=$(cd "$1" && pwd)
cache=$home/fwatchdog.aot
for needed in runtime/bin/java fwatchdog.jar jvm.options; do
    if [[ ! -e $home/$needed ]]; then
        echo "train-aot: $home/$needed missing (expected: a folder made by assemble.sh)" >&2
        exit 1
    fi
done
for tool in cat sleep; do
    command -v "$tool" >/dev/null || { echo "train-aot: $tool is needed on PATH (training functions)" >&2; exit 1; }
done

rm -f "$cache"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
native=()
[[ -d $home/native ]] && native=("-Djava.library.path=$home/native")
# The JVM reports classes it cannot cache (picocli's pre-Java-6 class files, dynamic proxies)
# as warnings: expected, so they go to the log, shown only when training fails.
if ! "$home/runtime/bin/java" "@$home/jvm.options" "${native[@]}" -XX:AOTCacheOutput="$cache" \
        -cp "$home/fwatchdog.jar" io.fwatchdog.Training >"$log" 2>&1; then
    cat "$log" >&2
    echo "train-aot: the training run failed (output above)" >&2
    exit 1
fi
if [[ ! -s $cache ]]; then
    cat "$log" >&2
    echo "train-aot: the training run wrote no cache $cache" >&2
    exit 1
fi
grep -h '^fwatchdog training:' "$log" >&2 || true
echo "train-aot: $(du -h "$cache" | cut -f1) in $cache" >&2
