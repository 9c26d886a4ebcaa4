#!/usr/bin/env bash
# Runs an assembled fwatchdog folder (assemble.sh) inside a root file system that holds no glibc
# at all: a static busybox, musl's loader, and a function in C built with musl-gcc
# (../test/resources/functions/bare_fn.c), as on Alpine. The folder is bind-mounted at the
# path it was assembled at, in a mount namespace of its own, and entered with chroot. In every
# mode the watchdog must become healthy, answer a request through the musl function, map no
# shared object from outside the folder, pass the launcher's health check and exit 0 on
# SIGTERM; the function must run on musl's loader with nothing of the folder's in its
# environment or its memory.
#
#   bare-root-test.sh HOME        (root; needs busybox-static, musl-tools, curl, python3, unshare)
set -euo pipefail

if (($# != 1)); then
    echo "usage: $0 HOME" >&2
    exit 2
fi
home=$(cd "$1" && pwd)
dist=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
functions=$(cd "$dist/../test/resources/functions" && pwd)
work=$(mktemp -d)
check=bare-root
source "$dist/checks.sh"
cleanup() {
    for pid in $(jobs -p); do
        kill -KILL "$pid" 2>/dev/null || true
    done
    # The mounts live in the watchdogs' own mount namespaces and end with them.
    rm -rf "$work"
}
trap cleanup EXIT

[[ $(id -u) == 0 ]] || fail "the bare-root test needs root (mount namespaces and chroot)"
busybox=$(command -v busybox) || fail "busybox not found (Debian: busybox-static)"
readelf -l "$busybox" | grep -q INTERP && fail "$busybox is dynamically linked; the test needs busybox-static"
command -v musl-gcc >/dev/null || fail "musl-gcc not found (Debian: musl-tools)"

# The root: busybox and its applets, musl's loader, the function, users, /tmp, mount points.
root=$work/root
mkdir -p "$root"/{bin,lib,etc,tmp,proc,dev,www,usr/bin,home/app} "$root$home"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
    [[ -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
done
musl_gcc_out=$work/compile.log
musl-gcc -O2 -o "$root/usr/bin/bare_fn" "$functions/bare_fn.c" >"$musl_gcc_out" 2>&1 \
    || fail "musl-gcc cannot build bare_fn.c: $(cat "$musl_gcc_out")"
musl_loader=$(readelf -l "$root/usr/bin/bare_fn" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[[ $musl_loader == */ld-musl-* ]] || fail "bare_fn asks for the loader \"$musl_loader\", not musl's"
mkdir -p "$root$(dirname "$musl_loader")"
cp -L "$musl_loader" "$root$musl_loader"
# The launcher as images install it: the health check runs it outside the watchdog's namespace,
# where the folder is not mounted.
cp "$home/bin/fwatchdog" "$root/usr/bin/fwatchdog"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' >"$root/etc/group"
echo "served from a bare root" >"$root/www/index.html"
for device in null zero random urandom; do
    touch "$root/dev/$device"
done
glibc_files=$(find "$root" \( -name 'libc.so*' -o -name 'ld-linux*' -o -name 'libc-*.so' \) -print)
[[ -z $glibc_files ]] || fail "the root holds glibc files: $glibc_files"
ok "the root holds busybox, musl's loader and the function, and no glibc"

# bare NAME VAR=VALUE...: starts the launcher in the root as user app, in the background; its
# PID is the JVM's (each step execs the next). Output in $work/NAME.log.
bare() {
    local name=$1
    shift
    local script='
        mount --bind "$1" "$2$1" && mount -t proc proc "$2/proc" || exit 1
        for device in null zero random urandom; do mount --bind "/dev/$device" "$2/dev/$device" || exit 1; done
        root=$2; shift 2
        exec chroot --userspec=1000:1000 "$root" /bin/env -i PATH=/usr/bin:/bin HOME=/home/app "$@"'
    unshare --mount --propagation private bash -c "$script" bare "$home" "$root" \
        TMPDIR="/tmp/$name" healthcheck_interval=0 metrics_port=0 "$@" "$home/bin/fwatchdog" \
        >"$work/$name.log" 2>&1 &
    pid=$!
}

# check_mode NAME PATH BODY VAR=VALUE...: one watchdog in the root: health, BODY POSTed to PATH
# must come back, its libraries, the health check inside the root, SIGTERM.
check_mode() {
    local name=$1 path=$2 sent=$3
    shift 3
    local port
    port=$(free_port)
    mkdir -p "$root/tmp/$name"
    chmod 777 "$root/tmp/$name"
    bare "$name" port="$port" "$@"
    wait_for "$name: /_/health 200" 90 healthy "$port" "$pid"
    ok "$name: healthy in the bare root"
    local outside
    # /proc shows the mapped files as seen from outside the root.
    outside=$(outside_libraries "$pid" "$root$home")
    [[ -z $outside ]] || fail "$name: the JVM maps shared objects from outside the folder: $outside"
    ok "$name: every shared object the JVM maps is the folder's own"
    if [[ -n $sent ]]; then
        echoes "$port" "$path" "$sent" "$name"
    else
        local body
        body=$(curl -s --fail-with-body --max-time 30 "http://127.0.0.1:$port$path") || fail "$name: GET $path failed: $body"
        [[ $body == "served from a bare root" ]] || fail "$name: GET $path answered \"$body\""
        ok "$name: file served"
    fi
    chroot --userspec=1000:1000 "$root" /bin/env -i TMPDIR="/tmp/$name" /usr/bin/fwatchdog --run-healthcheck \
        || fail "$name: --run-healthcheck in the root failed while healthy"
    ok "$name: --run-healthcheck exits 0 in the root"
    stop "$pid" "$name"
}

upstream=$(free_port)
check_mode streaming / hello mode=streaming fprocess="bare_fn echo"
check_mode serializing / hello mode=serializing fprocess="bare_fn echo"
check_mode http /echo hello mode=http fprocess="bare_fn http $upstream" upstream_url="http://127.0.0.1:$upstream"
check_mode afterburn / hello mode=afterburn workers=2 fprocess="bare_fn afterburn"
check_mode static / "" mode=static static_path=/www

# The function's side: musl's loader and libc, not the folder's glibc; only the environment given.
# answer NAME FPROCESS: a serializing watchdog's answer to one GET.
answer() {
    local name=$1 fprocess=$2 port body
    port=$(free_port)
    mkdir -p "$root/tmp/$name"
    chmod 777 "$root/tmp/$name"
    bare "$name" port="$port" mode=serializing fprocess="$fprocess" FWATCHDOG_BARE_MARK=given
    wait_for "$name: /_/health 200" 90 healthy "$port" "$pid"
    body=$(curl -s --fail-with-body --max-time 30 "http://127.0.0.1:$port/") || fail "$name: GET failed: $body"
    stop "$pid" "$name" >/dev/null
    printf '%s\n' "$body"
}
maps=$(answer function-maps "bare_fn maps")
grep -qF "$musl_loader" <<<"$maps" || fail "the function does not run on $musl_loader: $maps"
! grep -qF "$home/" <<<"$maps" || fail "the function maps files of the folder: $(grep -F "$home/" <<<"$maps")"
ok "the function runs on musl's loader ($musl_loader), with nothing of the folder mapped"
environment=$(answer function-env "bare_fn env")
grep -qx 'FWATCHDOG_BARE_MARK=given' <<<"$environment" \
    || fail "the function's environment lacks a variable the watchdog was given: $environment"
# Given: PATH, HOME, the marker and the settings; PWD and SHLVL, which busybox's sh exports;
# added by the watchdog for each request: Http_*.
leaked=$(grep -vE '^(PATH|HOME|PWD|SHLVL|FWATCHDOG_BARE_MARK|port|metrics_port|healthcheck_interval|TMPDIR|mode|fprocess|Http_[A-Za-z_]+)=' \
    <<<"$environment" || true)
[[ -z $leaked ]] || fail "the function's environment has variables it was not given: $leaked"
ok "the function gets the watchdog's environment, with nothing of the folder's added"

summary
