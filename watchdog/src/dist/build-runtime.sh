#!/usr/bin/env bash
# Links the Java runtime that the assembled watchdog runs on: only the JDK modules its jars
# use (found with jdeps) plus jdk.unsupported, which Netty reaches reflectively for
# sun.misc.Unsafe and jdeps therefore misses. No debug attributes, native symbols, header
# files or man pages, and no default CDS archive: the assembled folder has its own AOT cache.
#
#   build-runtime.sh JDK_HOME JAR LIB_DIR OUT_DIR
#
# The JDK must be 25 or later and able to link (a JDK with jmods/, or a linkable run-time
# image such as Temurin's); the runtime is for the JDK's own platform (glibc or musl, arch).
set -euo pipefail

if (($# != 4)); then
    echo "usage: $0 JDK_HOME JAR LIB_DIR OUT_DIR" >&2
    exit 2
fi
jdk=$1 jar=$2 lib=$3 out=$4

for tool in jdeps jlink; do
    if [[ ! -x $jdk/bin/$tool ]]; then
        echo "build-runtime: $jdk/bin/$tool not found (expected: a JDK 25 home)" >&2
        exit 1
    fi
done
if ! command -v strip >/dev/null; then
    echo "build-runtime: strip not found; install binutils (the JDK's libraries keep their symbol tables)" >&2
    exit 1
fi
if [[ -e $out ]]; then
    echo "build-runtime: $out exists; remove it first" >&2
    exit 1
fi

shopt -s nullglob
jars=("$lib"/*.jar)
# --ignore-missing-deps: optional integrations (Brotli, BlockHound, OpenTelemetry, ...) are not
# on the class path and never loaded.
modules=$("$jdk/bin/jdeps" --ignore-missing-deps --multi-release 25 --print-module-deps \
    "$jar" "${jars[@]}" | tail -1)
if [[ ! $modules =~ ^[a-z.]+(,[a-z.]+)*$ ]]; then
    echo "build-runtime: jdeps gave no module list: $modules" >&2
    exit 1
fi
[[ ,$modules, == *,jdk.unsupported,* ]] || modules="$modules,jdk.unsupported"
echo "build-runtime: modules $modules" >&2

"$jdk/bin/jlink" \
    --add-modules "$modules" \
    --strip-debug \
    --no-header-files \
    --no-man-pages \
    --output "$out"
# The symbol tables (not the dynamic symbols the loader needs) are a sixth of libjvm.so.
find "$out/lib" -name '*.so' -exec strip --strip-unneeded {} +
strip --strip-unneeded "$out"/bin/*
echo "build-runtime: $(du -sh "$out" | cut -f1) in $out" >&2
