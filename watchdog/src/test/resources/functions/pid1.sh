#!/bin/sh
# For running the watchdog as PID 1 of a PID namespace. By request path:
#   /leave  leaves a background child in the function's process group and a second one in a
#           session of its own (which escapes the group and is re-parented when this exits)
#   /ps     lists every process this PID namespace has, one "pid state ppid name" line each
case $Http_Path in
    /leave)
        sleep 1 &
        setsid sleep 2 &
        echo left
        ;;
    /ps)
        for stat in /proc/[0-9]*/stat; do
            # "pid (name) state ppid ...": the name may hold spaces and parentheses.
            sed -n 's/^\([0-9]*\) (\(.*\)) \([A-Za-z]\) \([0-9]*\) .*/\1 \3 \4 \2/p' "$stat" 2>/dev/null || true
        done
        ;;
    *)
        echo "unknown path $Http_Path" >&2
        exit 1
        ;;
esac
