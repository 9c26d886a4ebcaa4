#!/usr/bin/env bash
# Smoke-tests an assembled fwatchdog folder (assemble.sh) through its launcher, as an image
# would run it: in each mode it must start on the AOT cache (-XX:AOTMode=on refuses to start
# otherwise, and the class log must show the watchdog's classes coming from the cache), load
# Netty's epoll library from the folder (nothing unpacked into /tmp), answer /_/health and one
# request, pass the launcher's health check, and exit 0 on SIGTERM. Then, as PID 1 of a new
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

passed=0
failed=0
fail() {
    echo "FAIL: $*" >&2
    for log in "$work"/*.log; do
        [[ -f $log ]] || continue
        echo "--- $log (last lines)" >&2
        tail -n 20 "$log" >&2
    done
    failed=$((failed + 1))
    echo "smoke: $passed passed, $failed failed" >&2
    exit 1
}
ok() {
    passed=$((passed + 1))
    echo "ok: $*"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND until it succeeds or time runs out.
wait_for() {
    local what=$1 seconds=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        ((SECONDS < deadline)) || fail "$what: not within ${seconds}s"
        sleep 0.05
    done
}

# healthy PORT PID: /_/health answers 200; fails the test at once when PID has exited.
healthy() {
    kill -0 "$2" 2>/dev/null || fail "exited before becoming healthy (port $1)"
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/_/health") == 200 ]]
}

gone() {
    ! kill -0 "$1" 2>/dev/null
}

# stop PID NAME: SIGTERM, then the exit status must be 0.
stop() {
    local pid=$1 name=$2 status=0
    kill -TERM "$pid"
    wait_for "$name exits after SIGTERM" 60 gone "$pid"
    wait "$pid" || status=$?
    ((status == 0)) || fail "$name: exit status $status after SIGTERM (expected 0)"
    ok "$name: SIGTERM drains and exits 0"
}

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

    local body
    body=$(curl -s --fail-with-body --max-time 30 -d hello "http://127.0.0.1:$port$path") \
        || fail "$name: POST $path failed: $body"
    [[ $body == hello ]] || fail "$name: POST $path answered \"$body\" (expected \"hello\")"
    ok "$name: request answered"

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

echo "smoke: $passed passed, $failed failed"
