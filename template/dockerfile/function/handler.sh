#!/bin/sh
# The starter command: echoes the request body back, and refuses requests without one. Replace
# it (and fprocess in the Dockerfile) with any program that reads stdin and writes stdout.
# Request metadata arrives as environment variables: Http_Method, Http_Path, Http_Query, and
# one Http_<Header_Name> per request header.
case "${Http_Method:-}" in
    GET|HEAD)
        echo "handler.sh: expected a request body, got a $Http_Method request" >&2
        exit 1 ;;
esac
exec cat
