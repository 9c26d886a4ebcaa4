#!/usr/bin/env bash
# The function: reads the request body on stdin, writes the response body on stdout, logs on
# stderr. Request metadata arrives as environment variables: Http_Method, Http_Path,
# Http_Query, and one Http_<Header_Name> per request header.
#
# This starter echoes the body back as it arrives, and refuses requests without one.
set -euo pipefail

if [[ ${Http_Method:-} == GET || ${Http_Method:-} == HEAD ]]; then
    echo "handler.sh: expected a request body, got a ${Http_Method} request" >&2
    exit 1
fi
exec cat
