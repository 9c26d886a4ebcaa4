#!/usr/bin/env python3
"""A reference afterburn loop: standard library only, no dependencies.

    python3 loop.py handler.py

The watchdog writes one HTTP/1.1 request at a time to stdin and reads one HTTP/1.1 response
from stdout. This loop frames both in bytes (never characters), takes a request without
Content-Length as one without a body, keeps stdout for responses only (print() goes to stderr,
which is the log), and answers 500 when the handler raises, so one bad call never costs the
process.

The handler module defines handle(event, context) and returns a dict with statusCode (default
200), headers (a dict; a list value sends the header once per item) and body (bytes, str,
or anything else, which is sent as JSON).
"""
import importlib.util
import json
import os
import sys
import traceback
from urllib.parse import parse_qs, unquote, urlsplit

REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}


class Event:
    """One request: method, path (decoded), query (name -> list of values), headers
    (lower-case name -> value, repeats joined with ", "), body (bytes)."""

    def __init__(self, method, target, headers, body):
        parts = urlsplit(target)
        self.method = method
        self.path = unquote(parts.path)
        self.query = parse_qs(parts.query, keep_blank_values=True)
        self.headers = headers
        self.body = body


class Context:
    def __init__(self, headers):
        self.call_id = headers.get("x-call-id", "")
        self.pid = os.getpid()


def read_request(stdin):
    line = stdin.readline()
    while line in (b"\r\n", b"\n"):
        line = stdin.readline()
    if not line:
        return None  # stdin closed: the watchdog is done with this process
    method, target, _ = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    headers = {}
    while True:
        line = stdin.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip()
        headers[name] = headers[name] + ", " + value if name in headers else value
    length = int(headers.get("content-length") or 0)
    body = stdin.read(length) if length else b""
    return Event(method, target, headers, body)


def encode(result, head=False):
    if isinstance(result, dict) and ("statusCode" in result or "body" in result or "headers" in result):
        status = int(result.get("statusCode", 200))
        headers = dict(result.get("headers") or {})
        body = result.get("body", b"")
    else:
        status, headers, body = 200, {}, result
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
    elif not isinstance(body, (bytes, bytearray)):
        body = json.dumps(body).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    lines = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, ""))]
    for name, value in headers.items():
        if name.lower() in ("content-length", "transfer-encoding", "connection"):
            continue
        for item in value if isinstance(value, list) else [value]:
            lines.append("%s: %s" % (name, item))
    lines.append("Content-Length: %d" % len(body))
    # A response to HEAD states the length of the body it leaves out.
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head else bytes(body))


def main():
    spec = importlib.util.spec_from_file_location("handler", sys.argv[1])
    handler = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handler)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # print() in a handler must not corrupt the response stream
    while True:
        event = read_request(stdin)
        if event is None:
            return
        try:
            response = encode(handler.handle(event, Context(event.headers)), event.method == "HEAD")
        except Exception as error:  # the process survives a failing call
            traceback.print_exc()
            response = encode({"statusCode": 500, "body": "handler failed: %s\n" % error})
        stdout.write(response)
        stdout.flush()


if __name__ == "__main__":
    main()
