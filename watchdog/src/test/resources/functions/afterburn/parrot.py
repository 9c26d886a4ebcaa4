#!/usr/bin/env python3
"""An afterburn process whose stdout is whatever it is sent: each request's body is written to
stdout as it is, in place of a response, so a test can make it say anything at all."""
import sys

stdin, out = open(0, "rb", buffering=0), sys.stdout.buffer

while True:
    line = stdin.readline()
    if not line:
        sys.exit(0)
    if line.strip() == b"":
        continue
    length = 0
    while True:
        header = stdin.readline()
        if header in (b"\r\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    said = b""
    while len(said) < length:
        chunk = stdin.read(length - len(said))
        if not chunk:
            sys.exit(0)
        said += chunk
    out.write(said)
    out.flush()
