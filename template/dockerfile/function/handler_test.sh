#!/bin/sh
# The starter command's test: run by the image build and by the repository's CI.
set -eu
cd "$(dirname "$0")"

out=$(printf 'hello' | Http_Method=POST sh ./handler.sh)
[ "$out" = hello ] || { echo "FAIL: echo gave '$out'" >&2; exit 1; }

if Http_Method=GET sh ./handler.sh </dev/null 2>/dev/null; then
    echo "FAIL: a GET request was accepted" >&2
    exit 1
fi
echo "handler_test.sh: ok"
