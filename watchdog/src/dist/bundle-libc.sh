#!/usr/bin/env bash
# Makes an assembled folder independent of the C library of the image it is copied into: the
# glibc that the runtime was linked against (its loader and every shared library that ldd
# resolves for the runtime's and native/'s ELF files) is copied into HOME/glibc/, with the
# packages' licence notices, and each of those ELF files is patched to use it:
#
#   - executables get HOME/glibc/ld-linux-*.so.* as their program interpreter (PT_INTERP, an
#     absolute path: the folder then runs only at the path it was assembled in; the launcher
#     says so when it is moved);
#   - every executable and library gets $ORIGIN-relative DT_RPATH entries to HOME/glibc/ after
#     its own. DT_RPATH rather than DT_RUNPATH: the loader searches it before LD_LIBRARY_PATH,
#     so a library path that a base image sets cannot pull its own libc into the JVM, and it
#     applies to what the object dlopens too.
#
# Nothing is set in the environment: the processes the watchdog starts run with the image's
# own loader and libraries. HOME/glibc/loader holds the interpreter's path for the launcher.
#
#   bundle-libc.sh HOME        (needs ldd and patchelf; dpkg to find the licence notices)
set -euo pipefail

if (($# != 1)); then
    echo "usage: $0 HOME" >&2
    exit 2
fi
home=$(cd "$1" && pwd)
glibc=$home/glibc
for tool in ldd patchelf readelf; do
    command -v "$tool" >/dev/null || {
        echo "bundle-libc: $tool not found (ldd: libc-bin, patchelf: patchelf, readelf: binutils)" >&2
        exit 1
    }
done
if [[ -e $glibc ]]; then
    echo "bundle-libc: $glibc exists; the folder is bundled already" >&2
    exit 1
fi

is_elf() {
    [[ -f $1 && ! -L $1 && $(head -c 4 "$1" | od -An -c | tr -d ' ') == 177ELF ]]
}
elves=()
while IFS= read -r -d '' file; do
    is_elf "$file" && elves+=("$file")
done < <(find "$home/runtime" "$home/native" -type f -print0 2>/dev/null)
if ((${#elves[@]} == 0)); then
    echo "bundle-libc: no ELF files under $home/runtime" >&2
    exit 1
fi

# The interpreter every executable of the runtime names (they must agree).
interpreter=
for elf in "${elves[@]}"; do
    readelf -l "$elf" 2>/dev/null | grep -q 'INTERP' || continue
    this=$(patchelf --print-interpreter "$elf")
    if [[ -n $interpreter && $this != "$interpreter" ]]; then
        echo "bundle-libc: $elf asks for $this, others for $interpreter" >&2
        exit 1
    fi
    interpreter=$this
done
[[ -n $interpreter ]] || { echo "bundle-libc: no executable with a program interpreter under $home/runtime" >&2; exit 1; }
if [[ $(basename "$interpreter") != ld-linux* ]]; then
    echo "bundle-libc: the runtime runs on $interpreter, not glibc's loader; only a glibc runtime can be bundled (use a glibc JDK)" >&2
    exit 1
fi

# Every library outside the folder that ldd resolves, and what those need in turn. A library
# ldd cannot find must be one of the runtime's own (libjvm.so, found by the JVM at run time).
declare -A outside=()
own_libraries=$(find "$home/runtime" "$home/native" -name '*.so*' -printf '%f\n' 2>/dev/null | sort -u)
resolve() {
    local elf=$1 name arrow path
    while read -r name arrow path _; do
        if [[ $arrow == '=>' && $path == 'not' ]]; then
            grep -qxF "$name" <<<"$own_libraries" \
                || { echo "bundle-libc: $elf needs $name, which ldd cannot find" >&2; exit 1; }
        elif [[ $arrow == '=>' && $path == /* && $path != "$home"/* ]]; then
            outside[$path]=1
        fi
    done < <(ldd "$elf" 2>/dev/null || true)
}
for elf in "${elves[@]}"; do
    resolve "$elf"
done
for path in "${!outside[@]}"; do
    resolve "$path"
done

mkdir -p "$glibc"
loader=$glibc/$(basename "$interpreter")
cp -L "$interpreter" "$loader"
declare -A packages=()
owner() {
    # dpkg knows a library by the path it installed it at: ldd's, or the file it points to.
    local path=$1 package
    command -v dpkg >/dev/null || return 0
    for candidate in "$path" "$(readlink -f "$path")"; do
        package=$(dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1) || true
        if [[ -n $package ]]; then
            packages[$package]=1
            return 0
        fi
    done
    echo "bundle-libc: no package owns $path (dpkg -S)" >&2
    exit 1
}
owner "$interpreter"
for path in "${!outside[@]}"; do
    name=$(basename "$path")
    [[ $name == "$(basename "$interpreter")" ]] && continue
    cp -L "$path" "$glibc/$name"
    owner "$path"
done
printf '%s\n' "$loader" >"$glibc/loader"

# The licence notices of the packages copied from (glibc: LGPL-2.1-or-later, parts under other
# free licences listed in the same file), the licence texts those notices refer to, and the
# source package each binary was built from.
if ((${#packages[@]} == 0)); then
    echo "bundle-libc: cannot tell which packages the libraries come from (no dpkg): their licence notices would be missing" >&2
    exit 1
fi
mkdir -p "$glibc/legal"
{
    echo "The libraries in the folder above this one are copied unmodified from these packages"
    echo "(binary package, source package, version); their source is the distribution's source"
    echo "package of that version. Their licences are in the .copyright files and the texts here."
    echo
} >"$glibc/legal/README"
for package in "${!packages[@]}"; do
    notice=/usr/share/doc/${package%%:*}/copyright
    [[ -f $notice ]] || { echo "bundle-libc: $notice missing: cannot ship $package without its licence notice" >&2; exit 1; }
    cp "$notice" "$glibc/legal/${package%%:*}.copyright"
    for text in $(grep -o '/usr/share/common-licenses/[A-Za-z0-9.+-]*' "$notice" | sort -u); do
        [[ -f $text ]] || { echo "bundle-libc: $notice refers to $text, which is missing" >&2; exit 1; }
        cp "$text" "$glibc/legal/"
    done
    dpkg-query -W -f '${Package} ${source:Package} ${source:Version}\n' "$package" >>"$glibc/legal/README"
done

# The patches: each file keeps its own search path and gains the bundle's, relative to itself.
for elf in "${elves[@]}"; do
    dir=$(dirname "$elf")
    relative=$(realpath --relative-to="$dir" "$glibc")
    rpath=$(patchelf --print-rpath "$elf")
    rpath=${rpath:+$rpath:}\$ORIGIN/$relative
    patchelf --force-rpath --set-rpath "$rpath" "$elf"
    if readelf -l "$elf" | grep -q 'INTERP'; then
        patchelf --set-interpreter "$loader" "$elf"
    fi
done
echo "bundle-libc: $(ls "$glibc" | grep -c '\.so') libraries ($(du -sh --exclude=legal "$glibc" | cut -f1)) from ${!packages[*]} in $glibc" >&2
