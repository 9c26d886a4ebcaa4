# Helpers shared by the packaging checks (smoke-test.sh, bare-root-test.sh, image-test.sh):
# sourced, not run. The sourcing script sets $work (a scratch folder whose *.log files are
# shown when a check fails) and $check (its name in the closing line).
passed=0
failed=0
skipped=0

summary() {
    echo "$check: $passed passed, $failed failed, $skipped skipped"
}

fail() {
    echo "FAIL: $*" >&2
    for log in "$work"/*.log; do
        [[ -f $log ]] || continue
        echo "--- $log (last lines)" >&2
        tail -n 20 "$log" >&2
    done
    failed=$((failed + 1))
    summary >&2
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

# healthy PORT PID: /_/health answers 200; fails the check at once when PID has exited.
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

# echoes PORT PATH BODY NAME: POSTs BODY, which must come back unchanged.
echoes() {
    local port=$1 path=$2 sent=$3 name=$4 body
    body=$(curl -s --fail-with-body --max-time 30 --data-binary "$sent" "http://127.0.0.1:$port$path") \
        || fail "$name: POST $path failed: $body"
    [[ $body == "$sent" ]] || fail "$name: POST $path answered \"$body\" (expected \"$sent\")"
    ok "$name: request answered"
}

# outside_libraries PID HOME: the shared objects PID has mapped from outside HOME, one a line.
outside_libraries() {
    awk '$6 ~ /\.so/ {print $6}' "/proc/$1/maps" | sort -u | grep -v "^$2/" || true
}
