"""A small upstream server for http-mode tests, standard library only.

    python3 http_upstream.py PORT [--bind-after SECONDS] [--exit-after-ready CODE]
    python3 http_upstream.py unix:/path/to.sock

GET|POST /echo         echoes the body; X-Seen-* headers tell how the request was framed
GET /headers           the request headers, one "name: value" line each, names in lower case
GET /sse?n=N&ms=M      N server-sent events, M ms apart, each flushed
GET /status/NNN        answers that status with a short body
GET /cookies           two Set-Cookie headers
GET /slow?ms=M         answers after M ms
GET /exit?code=N       exits the process at once with status N
GET /big?mib=N         N MiB of zero bytes, Content-Length framed
POST /count            reads the body in pieces and answers how many bytes it had
GET /gated?file=F      one event, then a second once file F exists, then the end
GET /ws (Upgrade)      a websocket that echoes each text or binary message
GET /ready?file=F[&hold=H]  200 "ready" once file F exists, else 503; first waits while file H exists
"""
import base64
import hashlib
import os
import struct
import socket
import socketserver
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, the second waits for a delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        sys.stderr.write("upstream: " + (fmt % args) + "\n")

    def body_pieces(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                while size:
                    piece = self.rfile.read(min(size, 1 << 20))
                    size -= len(piece)
                    yield piece
                self.rfile.readline()
        left = int(self.headers.get("Content-Length") or 0)
        while left:
            piece = self.rfile.read(min(left, 1 << 20))
            if not piece:
                return
            left -= len(piece)
            yield piece

    def read_body(self):
        return b"".join(self.body_pieces())

    def send(self, status, body, content_type="text/plain", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        path = url.path
        if path == "/echo":
            seen = [("X-Seen-Path", self.path),
                    ("X-Seen-Content-Length", self.headers.get("Content-Length", "none")),
                    ("X-Seen-Transfer-Encoding", self.headers.get("Transfer-Encoding", "none"))]
            self.send(200, self.read_body(), "application/octet-stream", seen)
        elif path == "/headers":
            self.read_body()
            lines = "".join(f"{name.lower()}: {value}\n" for name, value in self.headers.items())
            self.send(200, lines.encode())
        elif path == "/sse":
            count, delay = int(query.get("n", ["3"])[0]), int(query.get("ms", ["100"])[0])
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(count):
                event = f"data: event {i}\n\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                self.wfile.flush()
                time.sleep(delay / 1000)
            self.wfile.write(b"0\r\n\r\n")
        elif path.startswith("/status/"):
            self.read_body()
            self.send(int(path.rsplit("/", 1)[1]), b"status body\n")
        elif path == "/cookies":
            self.send(200, b"ok\n", headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        elif path == "/slow":
            self.read_body()
            time.sleep(int(query.get("ms", ["1000"])[0]) / 1000)
            self.send(200, b"slow\n")
        elif path == "/exit":
            os._exit(int(query.get("code", ["1"])[0]))
        elif path == "/count":
            self.send(200, str(sum(len(piece) for piece in self.body_pieces())).encode())
        elif path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            self.websocket_echo()
        elif path == "/gated":
            gate = query["file"][0]
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(2):
                if i == 1:
                    while not os.path.exists(gate):
                        time.sleep(0.01)
                event = f"data: event {i}\n\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/ready":
            self.read_body()
            hold = query.get("hold", [None])[0]
            while hold and os.path.exists(hold):
                time.sleep(0.01)
            if os.path.exists(query["file"][0]):
                self.send(200, b"ready\n")
            else:
                self.send(503, b"not ready yet\n")
        elif path == "/big":
            size = int(query.get("mib", ["1"])[0]) << 20
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            block = bytes(1 << 20)
            for _ in range(size >> 20):
                self.wfile.write(block)
        else:
            self.read_body()
            self.send(404, f"no such path: {self.path}\n".encode())

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = route


    def websocket_echo(self):
        self.close_connection = True
        key = self.headers["Sec-WebSocket-Key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", base64.b64encode(hashlib.sha1(key.encode()).digest()).decode())
        self.end_headers()
        self.wfile.flush()
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = struct.unpack(">H", self.rfile.read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self.rfile.read(8))[0]
            mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
            if opcode == 8:
                self.wfile.write(b"\x88\x00")
                self.wfile.flush()
                return
            if opcode in (0, 1, 2):  # continuation, text, binary: echoed frame by frame
                size = len(payload)
                frame = bytes([head[0]]) + (bytes([size]) if size < 126 else
                                            b"\x7e" + struct.pack(">H", size) if size < 65536 else
                                            b"\x7f" + struct.pack(">Q", size))
                self.wfile.write(frame + payload)
                self.wfile.flush()


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    args = sys.argv[1:]
    where = args[0]
    if "--bind-after" in args:
        time.sleep(float(args[args.index("--bind-after") + 1]))
    if where.startswith("unix:"):
        path = where[len("unix:"):]
        if os.path.exists(path):
            os.unlink(path)

        class UnixHandler(Handler):
            disable_nagle_algorithm = False  # TCP_NODELAY does not apply to a unix socket

            def address_string(self):
                return "unix"

        server = UnixServer(path, UnixHandler)
    else:
        server = ThreadingHTTPServer(("127.0.0.1", int(where)), Handler)
        server.daemon_threads = True
    print(f"listening on {where}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
