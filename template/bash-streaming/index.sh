#!/bin/sh
# Entry program of the bash-streaming template; function authors edit function/, not this file.
# fwatchdog (streaming mode) starts it once per request with the request body on stdin and sends
# its stdout to the client as it is written. Request metadata is in the Http_* variables.
cd "$(dirname "$0")/function" || exit 1
exec bash ./handler.sh
