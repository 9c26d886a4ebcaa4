#!/usr/bin/env bash
# Smoke-tests an assembled fwatchdog folder (assemble.sh) through its launcher, as an image
# would run it: in each mode it must start on the AOT cache (-XX:AOTMode=on refuses to start
# otherwise, and the class log must show the watchdog's classes coming from the cache), load
# Netty's epoll library from the folder (nothing unpacked into /tmp), map no shared object from
# outside the folder (it runs on its bundled glibc), answer /_/health and one request, pass the
# launcher's health check, and exit 0 on SIGTERM. The functions it starts must get the
# environment it was given and nothing more, and run on the machine's own libc. Then, as PID 1 of a new
# PID namespace, it must reap what functions leave behind and still exit 0 on SIGTERM.
#
#   smoke-test.sh HOME        (needs curl, python3; the PID 1 part needs root and unshare)
set -euo pipefail

if (($# != 1)); then
    echo "usage: $0 HOME" >&2
    exit 2
fi
home=$(cd "$1" && pwd)
functions=$(cd "$(dirname "${BASH_SOURCE[0]}")/../test/resources/functions" && pwd)
templates=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../template" && pwd)
work=$(mktemp -d)
pid1=
cleanup() {
    # The namespace's PID 1 first: killing unshare alone would leave it running. Then this
    # script's own background jobs that still run.
    for pid in $pid1 $(jobs -p); do
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

check=smoke
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

# Runs one watchdog through the launcher: start, cache and native checks, one request (POST
# "hello" to PATH, which must come back), stop.
#   check_mode NAME PATH VAR=VALUE...
check_mode() {
    local name=$1 path=$2
    shift 2
    local port metrics tmp classes="$work/$name-classes.txt"
    port=$(free_port)
    metrics=$(free_port)
    tmp="$work/$name-tmp"
    mkdir -p "$tmp"
    env port="$port" metrics_port="$metrics" healthcheck_interval=0 TMPDIR="$tmp" "$@" \
        FWATCHDOG_JAVA_OPTS="-XX:AOTMode=on -Xlog:class+load=info:file=$classes" \
        "$home/bin/fwatchdog" >"$work/$name.log" 2>&1 &
    local pid=$!
    wait_for "$name: /_/health 200" 90 healthy "$port" "$pid"
    ok "$name: healthy on the AOT cache"

    grep -q 'io.fwatchdog.server.Watchdog source: shared objects file' "$classes" \
        || fail "$name: the watchdog's classes were not loaded from the AOT cache ($classes)"
    ok "$name: classes come from the AOT cache"
    if [[ -d $home/native ]]; then
        grep -q "$home/native/libnetty_transport_native_epoll" "/proc/$pid/maps" \
            || fail "$name: Netty's epoll library was not loaded from $home/native"
        ok "$name: epoll library loaded from the folder"
    fi
    local outside
    outside=$(outside_libraries "$pid" "$home")
    [[ -z $outside ]] || fail "$name: the JVM maps shared objects from outside the folder: $outside"
    ok "$name: every shared object the JVM maps is the folder's own"

    echoes "$port" "$path" hello "$name"

    TMPDIR="$tmp" "$home/bin/fwatchdog" --run-healthcheck || fail "$name: --run-healthcheck failed while healthy"
    ok "$name: --run-healthcheck exits 0 while healthy"
    stop "$pid" "$name"
    if TMPDIR="$tmp" "$home/bin/fwatchdog" --run-healthcheck 2>/dev/null; then
        fail "$name: --run-healthcheck exits 0 after shutdown"
    fi
    ok "$name: --run-healthcheck exits 1 after shutdown"
}

check_mode streaming / mode=streaming fprocess=cat
check_mode serializing / mode=serializing fprocess=cat
upstream=$(free_port)
check_mode http /echo mode=http \
    fprocess="python3 $functions/http_upstream.py $upstream" upstream_url="http://127.0.0.1:$upstream"
check_mode afterburn / mode=afterburn workers=2 \
    fprocess="python3 $templates/python3-afterburn/index.py"

# A folder away from the path it was assembled at cannot find its loader: the launcher says so.
moved=$work/moved
mkdir -p "$moved/runtime/bin" "$moved/glibc"
cp "$home/bin/fwatchdog" "$home/jvm.options" "$moved/"
printf '#!/bin/sh\nexit 0\n' >"$moved/runtime/bin/java"
chmod 755 "$moved/runtime/bin/java"
echo "$work/elsewhere/glibc/ld-linux-x86-64.so.2" >"$moved/glibc/loader"
status=0
message=$(FWATCHDOG_HOME=$moved "$moved/fwatchdog" 2>&1) || status=$?
[[ $status == 1 && $message == *"was assembled at $work/elsewhere and runs only there"* ]] \
    || fail "moved folder: the launcher answered $status \"$message\" (expected 1 and where the folder belongs)"
ok "moved folder: the launcher names the path the folder was assembled at"

# The functions run on the machine's own loader and libraries, with the environment the watchdog
# was given: nothing of the folder's glibc reaches them. The watchdog is given LD_LIBRARY_PATH
# naming the machine's own libc: the JVM must still map none of it (DT_RPATH comes first), and
# the function must get it as it was.
own_libc=$(awk '$6 ~ /\/libc[.-]/ {print $6; exit}' /proc/self/maps)
library_path=$(dirname "$own_libc")
# one_answer NAME FPROCESS: starts a serializing watchdog on FPROCESS, prints its answer to a GET.
one_answer() {
    local name=$1 fprocess=$2 port pid body outside
    port=$(free_port)
    mkdir -p "$work/$name-tmp"
    env -i PATH="$PATH" port="$port" metrics_port=0 healthcheck_interval=0 TMPDIR="$work/$name-tmp" \
        mode=serializing fprocess="$fprocess" FWATCHDOG_SMOKE_MARK=given LD_LIBRARY_PATH="$library_path" \
        "$home/bin/fwatchdog" >"$work/$name.log" 2>&1 &
    pid=$!
    wait_for "$name: /_/health 200" 90 healthy "$port" "$pid"
    outside=$(outside_libraries "$pid" "$home")
    [[ -z $outside ]] || fail "$name: with LD_LIBRARY_PATH=$library_path the JVM maps shared objects from outside the folder: $outside"
    body=$(curl -s --fail-with-body --max-time 30 "http://127.0.0.1:$port/") || fail "$name: GET failed: $body"
    stop "$pid" "$name" >/dev/null
    printf '%s\n' "$body"
}
environment=$(one_answer child-env env)
ok "children: with LD_LIBRARY_PATH set, the JVM still maps only the folder's libraries"
for given in FWATCHDOG_SMOKE_MARK=given "LD_LIBRARY_PATH=$library_path"; do
    grep -qxF "$given" <<<"$environment" \
        || fail "children: the function's environment lacks $given, which the watchdog was given: $environment"
done
# Given: PATH, LD_LIBRARY_PATH, the marker and the settings; PWD, which the launcher's shell
# exports; added by the watchdog for each request: Http_*.
leaked=$(grep -vE '^(PATH|LD_LIBRARY_PATH|PWD|FWATCHDOG_SMOKE_MARK|port|metrics_port|healthcheck_interval|TMPDIR|mode|fprocess|Http_[A-Za-z_]+)=' \
    <<<"$environment" || true)
[[ -z $leaked ]] || fail "children: the function's environment has variables it was not given: $leaked"
ok "children: the function gets the watchdog's environment as it was given, nothing added"
maps=$(one_answer child-maps "cat /proc/self/maps")
grep -qF "$own_libc" <<<"$maps" || fail "children: the function does not run on the machine's $own_libc: $maps"
! grep -qF "$home/" <<<"$maps" || fail "children: the function maps files of the folder: $(grep -F "$home/" <<<"$maps")"
ok "children: the function runs on the machine's own loader and libc ($own_libc)"

# PID 1: the watchdog as the first process of a new PID namespace. Functions leave children
# behind, one of them in a session of its own that only a reaper at the top can collect.
if [[ $(id -u) != 0 ]] || ! command -v unshare >/dev/null; then
    fail "the PID 1 check needs root and unshare"
fi
port=$(free_port)
mkdir -p "$work/pid1-tmp"
env port="$port" metrics_port=0 healthcheck_interval=0 TMPDIR="$work/pid1-tmp" mode=streaming \
    fprocess="sh $functions/pid1.sh" \
    unshare --pid --fork --mount-proc "$home/bin/fwatchdog" >"$work/pid1.log" 2>&1 &
unshare_pid=$!
wait_for "PID 1: /_/health 200" 90 healthy "$port" "$unshare_pid"
# The namespace's PID 1 is unshare's only child.
read -r first others <"/proc/$unshare_pid/task/$unshare_pid/children" || true
[[ ${first:-} =~ ^[0-9]+$ && -z ${others:-} ]] \
    || fail "PID 1: cannot find the namespace's first process (unshare's children: ${first:-} ${others:-})"
pid1=$first
[[ $(curl -s "http://127.0.0.1:$port/ps" | awk '$1 == 1 {print $4}') == java ]] \
    || fail "PID 1: the watchdog is not PID 1 of its namespace"
ok "PID 1: the watchdog runs as PID 1"

for _ in 1 2 3; do
    [[ $(curl -s --max-time 30 "http://127.0.0.1:$port/leave") == left ]] || fail "PID 1: /leave did not answer"
done
no_sleepers() {
    ! curl -s "http://127.0.0.1:$port/ps" | awk '{print $4}' | grep -qx sleep
}
wait_for "PID 1: the functions' children end" 60 no_sleepers
zombies=$(curl -s "http://127.0.0.1:$port/ps" | awk '$2 == "Z"')
[[ -z $zombies ]] || fail "PID 1: zombies left in the namespace: $zombies"
ok "PID 1: no zombies after functions left children behind"

kill -TERM "$pid1"
wait_for "PID 1 exits after SIGTERM" 60 gone "$unshare_pid"
status=0
wait "$unshare_pid" || status=$?
pid1=
((status == 0)) || fail "PID 1: exit status $status after SIGTERM (expected 0)"
ok "PID 1: SIGTERM drains and exits 0"

summary
