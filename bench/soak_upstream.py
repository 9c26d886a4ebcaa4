#!/usr/bin/env python3
"""The soak's upstream (http mode): what the X-Soak header asks for.
    python3 soak_upstream.py PORT
fast: the body echoed; slow: the same after 0.5 s; fail: 500; timeout: an answer after 60 s."""
import http.server
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, the second waits for a delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        kind = self.headers.get("X-Soak", "fast")
        status = 200
        if kind == "slow":
            time.sleep(0.5)
        elif kind == "fail":
            status, body = 500, b"failing on purpose\n"
        elif kind == "timeout":
            time.sleep(60)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer.request_queue_size = 128  # the default 5 resets connections in a burst
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
