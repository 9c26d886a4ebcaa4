#!/usr/bin/env python3
"""The soak's hot process (afterburn mode): what the X-Soak header asks for, one request at a time.
    python3 soak_afterburn.py
fast: the body echoed; slow: the same after 0.5 s; fail: 500; timeout: an answer after 60 s
(the watchdog answers 504 after exec_timeout and replaces the process)."""
import sys
import time

stdin, out = sys.stdin.buffer, sys.stdout.buffer
while True:
    line = stdin.readline()
    if not line:
        sys.exit(0)
    if not line.strip():
        continue
    headers = {}
    while True:
        header = stdin.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = stdin.read(int(headers.get("content-length") or 0))
    kind = headers.get("x-soak", "fast")
    status = b"200 OK"
    if kind == "slow":
        time.sleep(0.5)
    elif kind == "fail":
        status, body = b"500 Internal Server Error", b"failing on purpose\n"
    elif kind == "timeout":
        time.sleep(60)
    out.write(b"HTTP/1.1 %s\r\nContent-Length: %d\r\n\r\n%s" % (status, len(body), body))
    out.flush()
