"""Entry program of the python3-afterburn template; function authors edit function/, not this file.

A hot process for fwatchdog's afterburn mode: reads one HTTP/1.1 request at a time from stdin,
answers it with function/handler.py's handle(req), the historical python3-afterburn template's
contract (the body as text in, a string out), and writes one HTTP/1.1 response to stdout. The
watchdog runs up to `workers` of these processes; each serves one request at a time, so the
handler is never called concurrently within a process. Standard library only.

stdout carries the protocol, so print() is sent to stderr, which the watchdog logs. Requests
and responses are framed in bytes, a request without Content-Length has no body, and a handler
that raises is answered 500 without costing the process. See README.md.
"""
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "function"))
import handler  # noqa: E402  (function/handler.py, found through the path set above)

REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 301: "Moved Permanently",
           302: "Found", 304: "Not Modified", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 422: "Unprocessable Content",
           429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def encode_result(result):
    """handle()'s return value as (status, headers, body bytes): text as the historical template sent it."""
    if result is None:
        return 200, [], b""
    if isinstance(result, (bytes, bytearray, memoryview)):
        return 200, [("Content-Type", "application/octet-stream")], bytes(result)
    if isinstance(result, (dict, list)):
        return 200, [("Content-Type", "application/json")], json.dumps(result).encode("utf-8")
    return 200, [("Content-Type", "text/plain; charset=utf-8")], str(result).encode("utf-8")


def read_request(stdin):
    """The next request as (method, target, headers, body), or None once stdin is closed."""
    line = stdin.readline()
    while line in (b"\r\n", b"\n"):
        line = stdin.readline()
    if not line:
        return None
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
    return method, target, headers, body


def answer(method, target, headers, body, handle):
    """The response to one request, as bytes: handle() gets the body as text."""
    try:
        status, pairs, data = encode_result(handle(body.decode("utf-8", errors="replace")))
    except Exception as e:  # the handler's own failure: answer 500 and log the traceback
        traceback.print_exc()
        message = "handle() raised %s: %s\n" % (type(e).__name__, e)
        status, pairs, data = 500, [("Content-Type", "text/plain; charset=utf-8")], message.encode()
    return response(status, pairs, data, method)


def response(status, pairs, data, method):
    lines = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, ""))]
    lines += ["%s: %s" % pair for pair in pairs]
    lines.append("Content-Length: %d" % len(data))
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    # A response to HEAD states the length of the body it leaves out.
    return head if method == "HEAD" else head + data


def run(stdin, stdout, handle):
    """Serves requests until stdin is closed."""
    while True:
        request = read_request(stdin)
        if request is None:
            return
        stdout.write(answer(*request, handle))
        stdout.flush()


if __name__ == "__main__":
    protocol = sys.stdout.buffer
    sys.stdout = sys.stderr  # print() in a handler must not corrupt the responses
    run(sys.stdin.buffer, protocol, handler.handle)
