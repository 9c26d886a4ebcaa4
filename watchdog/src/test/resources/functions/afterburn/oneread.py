#!/usr/bin/env python3
"""An afterburn loop that takes each request from a single read of stdin, as the historical
Node afterburn loop did, and answers how many body bytes that read held: "<in read> of <length>"."""
import os

while True:
    data = os.read(0, 1 << 20)
    if not data:
        break
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    missing = length - len(body)
    while missing > 0:  # take the rest, so the next request starts where it should
        more = os.read(0, missing)
        if not more:
            raise SystemExit(0)
        missing -= len(more)
    reply = b"%d of %d" % (len(body), length)
    os.write(1, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(reply), reply))
