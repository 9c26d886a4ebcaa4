"""Entry program of the python3-http template; function authors edit function/, not this file.

Serves function/handler.py's handle(event, context) over HTTP/1.1 with the standard library only,
for fwatchdog's http mode. It listens where the watchdog's upstream_url points, so the port is
set in one place (the Dockerfile's ENV). See README.md for the handler contract.
"""
import json
import os
import socket
import sys
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "function"))
import handler  # noqa: E402  (function/handler.py, found through the path set above)


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


class FunctionRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, the second waits for a delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def handle_one_request(self):
        # Every method goes to the handler.
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        self.serve()
        self.wfile.flush()

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def serve(self):
        path, _, raw_query = self.path.partition("?")
        headers = {}
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = headers[name] + ", " + value if name in headers else value
        event = Event(self.command, urllib.parse.unquote(path), raw_query, headers, self.read_body())
        try:
            status, pairs, data = encode_result(self.server.handle(event, Context(headers.get("x-call-id"))))
        except InvalidResult as e:
            self.log_error("%s", e)
            status, pairs, data = 500, [("Content-Type", "text/plain; charset=utf-8")], ("%s\n" % e).encode()
        except Exception as e:  # the handler's own failure: answer 500 and log the traceback
            traceback.print_exc()
            message = "handle() raised %s: %s\n" % (type(e).__name__, e)
            status, pairs, data = 500, [("Content-Type", "text/plain; charset=utf-8")], message.encode()
        self.send_response(status)
        for name, value in pairs:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format, *args):
        sys.stderr.write("%s\n" % (format % args))

    def log_request(self, code="-", size="-"):
        pass  # the watchdog writes the access log


def listen_address():
    url = urllib.parse.urlsplit(os.environ.get("upstream_url") or "http://127.0.0.1:5000")
    return url.hostname or "127.0.0.1", url.port or 80


class FunctionServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 makes a burst of new connections, arriving while the accept loop
    # is behind, fail with resets; the watchdog opens one per concurrent request.
    request_queue_size = socket.SOMAXCONN


def serve(address, handle):
    """A server (not yet serving) that answers every request with handle(event, context)."""
    server = FunctionServer(address, FunctionRequestHandler)
    server.handle = handle
    return server


if __name__ == "__main__":
    serve(listen_address(), handler.handle).serve_forever()
