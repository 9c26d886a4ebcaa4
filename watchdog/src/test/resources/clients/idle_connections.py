#!/usr/bin/env python3
"""Holds many kept-alive connections to a watchdog, from a process of its own.

Usage: idle_connections.py PORT COUNT. Opens COUNT connections, sends GET /_/health on each and
reads the answer, keeps them open, and prints "open COUNT". Then, for each line I read on stdin,
sends a 4-byte POST on connection I and prints the status and body. Exits, closing everything,
at the end of stdin. Any failure is printed as "error ..." and ends the process with status 1.
"""
import socket
import sys


class Reader:
    """Reads a connection's bytes by lines and by counts."""

    def __init__(self, conn):
        self.conn, self.data = conn, b""

    def fill(self):
        chunk = self.conn.recv(65536)
        if not chunk:
            raise EOFError("connection closed inside a response")
        self.data += chunk

    def line(self):
        while b"\r\n" not in self.data:
            self.fill()
        line, _, self.data = self.data.partition(b"\r\n")
        return line

    def take(self, n):
        while len(self.data) < n:
            self.fill()
        taken, self.data = self.data[:n], self.data[n:]
        return taken


def exchange(conn, request):
    """Sends request and reads one response, framed by Content-Length or chunked."""
    conn.sendall(request)
    reader = Reader(conn)
    status = int(reader.line().split()[1])
    headers = {}
    while line := reader.line():
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = b""
        while size := int(reader.line().split(b";")[0], 16):
            body += reader.take(size)
            reader.take(2)
        while reader.line():
            pass  # trailers
        return status, body
    return status, reader.take(int(headers.get(b"content-length", b"0")))


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    conns = []
    try:
        for i in range(count):
            conn = socket.create_connection(("127.0.0.1", port), timeout=60)
            conns.append(conn)
            status, _ = exchange(conn, b"GET /_/health HTTP/1.1\r\nHost: x\r\n\r\n")
            if status != 200:
                raise RuntimeError(f"connection {i}: health answered {status}")
        print(f"open {count}", flush=True)
        for line in sys.stdin:
            i = int(line)
            status, body = exchange(conns[i], b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nback")
            print(status, body.decode("utf-8", "replace"), flush=True)
    except Exception as e:  # reported to the test, which fails with it
        print(f"error {type(e).__name__}: {e}", flush=True)
        return 1
    finally:
        for conn in conns:
            conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
