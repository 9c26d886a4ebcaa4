"""Entry program of the python3-afterburn-event template; function authors edit function/, not this file.

A hot process for fwatchdog's afterburn mode: reads one HTTP/1.1 request at a time from stdin,
answers it with function/handler.py's handle(event, context), and writes one HTTP/1.1 response
to stdout. The watchdog runs up to `workers` of these processes; each serves one request at a
time, so the handler is never called concurrently within a process. Standard library only.

stdout carries the protocol, so print() is sent to stderr, which the watchdog logs. Requests
and responses are framed in bytes, a request without Content-Length has no body, and a handler
that raises is answered 500 without costing the process. The handler contract is in README.md.
"""
import json
import os
import sys
import traceback
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "function"))
import handler  # noqa: E402  (function/handler.py, found through the path set above)

REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 301: "Moved Permanently",
           302: "Found", 304: "Not Modified", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 422: "Unprocessable Content",
           429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


class Event:
    """One request, as the handler sees it."""

    __slots__ = ("method", "path", "query", "raw_query", "headers", "body")

    def __init__(self, method, path, raw_query, headers, body):
        self.method = method
        self.path = path
        self.raw_query = raw_query
        # A repeated name keeps its last value; raw_query has them all.
        self.query = dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
        self.headers = headers
        self.body = body


class Context:
    """What the handler may want to know about the call besides the request."""

    __slots__ = ("call_id",)

    def __init__(self, call_id):
        self.call_id = call_id


class InvalidResult(Exception):
    pass


RESULT_KEYS = {"statusCode", "headers", "body"}


def encode_result(result):
    """Turns handle()'s return value into (status, headers, body bytes); raises InvalidResult."""
    if not isinstance(result, dict):
        raise InvalidResult(
            "handle() returned %s, expected a dict with statusCode, headers and body" % type(result).__name__)
    unknown = sorted(set(result) - RESULT_KEYS)
    if unknown:
        raise InvalidResult("handle() returned unknown keys %s (expected: statusCode, headers, body)" % unknown)
    status = result.get("statusCode", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        raise InvalidResult("statusCode %r is not an integer from 200 to 599" % (status,))
    headers = result.get("headers")
    headers = {} if headers is None else headers
    if not isinstance(headers, dict):
        raise InvalidResult("headers is %s, expected a dict" % type(headers).__name__)
    body = result.get("body")
    if body is None:
        data, default_type = b"", None
    elif isinstance(body, (bytes, bytearray, memoryview)):
        data, default_type = bytes(body), "application/octet-stream"
    elif isinstance(body, str):
        data, default_type = body.encode("utf-8"), "text/plain; charset=utf-8"
    else:
        try:
            data = json.dumps(body).encode("utf-8")
        except (TypeError, ValueError) as e:
            raise InvalidResult("body is not bytes, str or JSON-serializable: %s" % e) from None
        default_type = "application/json"
    pairs = []
    for name, value in headers.items():
        if name.lower() in ("content-length", "transfer-encoding", "connection"):
            continue  # framing is this server's job
        for item in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append((str(name), str(item)))
    if default_type and not any(name.lower() == "content-type" for name, _ in pairs):
        pairs.append(("Content-Type", default_type))
    return status, pairs, data


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
    """The response to one request, as bytes."""
    path, _, raw_query = target.partition("?")
    try:
        event = Event(method, urllib.parse.unquote(path, errors="strict"), raw_query, headers, body)
    except UnicodeDecodeError as e:
        return response(400, [("Content-Type", "text/plain; charset=utf-8")], ("malformed path: %s\n" % e).encode(), method)
    try:
        status, pairs, data = encode_result(handle(event, Context(headers.get("x-call-id"))))
    except InvalidResult as e:
        sys.stderr.write("%s\n" % e)
        status, pairs, data = 500, [("Content-Type", "text/plain; charset=utf-8")], ("%s\n" % e).encode()
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
