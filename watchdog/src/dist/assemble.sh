#!/usr/bin/env bash
# Assembles an /opt/fwatchdog-shaped folder from a built checkout (./mvnw package):
#
#   HOME/runtime/           the jlink runtime (build-runtime.sh)
#   HOME/fwatchdog.jar      the watchdog; HOME/lib/ its dependencies (the jar's Class-Path)
#   HOME/jvm.options        JVM options of every mode; HOME/jvm-fork.options, the fork modes'
#   HOME/native/            Netty's epoll library for this platform
#   HOME/glibc/             the C library the runtime runs on, and its notices (bundle-libc.sh)
#   HOME/fwatchdog.aot      the AOT cache (train-aot.sh), unless --no-train
#   HOME/bin/fwatchdog      the launcher (the image also installs it as /usr/bin/fwatchdog)
#
#   assemble.sh [--no-train] [--jdk JDK_HOME] HOME
#
# The JDK is the one the build recorded in watchdog/target/jdk.properties, else $JAVA_HOME; it
# must be a glibc build (the folder brings its glibc along and so runs on musl bases too).
# Assemble and train where the folder will be used: the bundled loader is found by absolute
# path, and the AOT cache is tied to the class path.
set -euo pipefail

dist=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
target=$(cd "$dist/../.." && pwd)/target
train=1
jdk=
while (($#)); do
    case $1 in
        --no-train) train= ; shift ;;
        --jdk) jdk=$2; shift 2 ;;
        -*) echo "assemble: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
if (($# != 1)); then
    echo "usage: $0 [--no-train] [--jdk JDK_HOME] HOME" >&2
    exit 2
fi
home=$1

if [[ ! -f $target/fwatchdog.jar || ! -d $target/lib ]]; then
    echo "assemble: $target/fwatchdog.jar or lib/ missing; run ./mvnw package first" >&2
    exit 1
fi
if [[ -z $jdk && -f $target/jdk.properties ]]; then
    jdk=$(sed -n 's/^ *java.home = //p' "$target/jdk.properties")
fi
jdk=${jdk:-${JAVA_HOME:-}}
if [[ -z $jdk || ! -f $jdk/release ]]; then
    echo "assemble: no JDK found (expected: --jdk, watchdog/target/jdk.properties or JAVA_HOME)" >&2
    exit 1
fi
libc=$(sed -n 's/^LIBC="\(.*\)"/\1/p' "$jdk/release")
arch=$(sed -n 's/^OS_ARCH="\(.*\)"/\1/p' "$jdk/release")
if [[ $libc != gnu ]]; then
    echo "assemble: $jdk is built for the ${libc:-unknown} C library; use a glibc JDK (the folder bundles its glibc and runs on musl bases as well)" >&2
    exit 1
fi
# An existing folder is replaced only when it is an earlier assembly.
if [[ -e $home ]]; then
    if [[ -n $(ls -A "$home") && ! -f $home/fwatchdog.jar ]]; then
        echo "assemble: $home exists and is not an fwatchdog folder; refusing to replace it" >&2
        exit 1
    fi
    rm -rf "${home:?}"/*
fi
mkdir -p "$home/bin"
home=$(cd "$home" && pwd)

"$dist/build-runtime.sh" "$jdk" "$target/fwatchdog.jar" "$target/lib" "$home/runtime"

cp "$target/fwatchdog.jar" "$home/"
cp -r "$target/lib" "$home/lib"
cp "$dist/jvm.options" "$dist/jvm-fork.options" "$home/"
cp "$dist/bin/fwatchdog" "$home/bin/fwatchdog"
chmod 755 "$home/bin/fwatchdog"

# Netty unpacks its native library into java.io.tmpdir at every start unless it finds it on
# java.library.path; extracting it once here keeps start-up off /tmp (noexec, read-only).
case $arch in
    x86_64|amd64) netty_arch=x86_64 ;;
    aarch64) netty_arch=aarch_64 ;;
    *) netty_arch= ;;
esac
so=META-INF/native/libnetty_transport_native_epoll_$netty_arch.so
native_jar=$(ls "$home"/lib/netty-transport-native-epoll-*-linux-"$netty_arch".jar 2>/dev/null | head -1 || true)
if [[ -n $netty_arch && -n $native_jar ]]; then
    scratch=$(mktemp -d)
    (cd "$scratch" && "$jdk/bin/jar" -x -f "$native_jar" "$so")
    mkdir -p "$home/native"
    mv "$scratch/$so" "$home/native/"
    rm -rf "$scratch"
else
    echo "assemble: no Netty epoll library for $arch: the watchdog will use NIO" >&2
fi

"$dist/bundle-libc.sh" "$home"

if [[ -n $train ]]; then
    "$dist/train-aot.sh" "$home"
fi
echo "assemble: $(du -sh "$home" | cut -f1) in $home (runtime $(du -sh "$home/runtime" | cut -f1))" >&2
