#!/bin/sh
# Runs the rest of its arguments, unless the file named first exists: then it fails at start,
# as a function with a broken deployment would.
marker=$1
shift
if [ -e "$marker" ]; then
    echo "crashy: $marker exists, failing at start" >&2
    exit 1
fi
exec "$@"
