#!/usr/bin/env python3
"""An afterburn process that breaks the protocol on purpose; what it does is chosen by path.

/ok           a valid response whose body is the process id
/garbage      bytes that are not HTTP
/extra        a valid response followed by stray bytes
/stray-later  a valid response, then stray bytes 200 ms later, while idle
/no-length    a 200 with neither Content-Length nor chunked encoding
/chunked      a valid chunked response in pieces
/noreason     a status line without a reason phrase
/close        a valid response with Connection: close
/interim      a 100 Continue, then a valid response
/interims     17 interim responses, then a valid one
/internal     a 502 that claims to be the watchdog's (X-OpenFaaS-Internal)
/crash-head   a head promising 100 bytes, 10 bytes, then exit 7
/exit         exit 5 without answering
/hang         never answers
/huge-header  a header over 2 MiB
/big-length   a Content-Length of a terabyte
/unread       answers without reading the body, then waits 2 s before it reads on
/close-stdout closes stdout and keeps running
/slow-body?n=N  N pieces of 64 KiB, flushed one by one
/drip?ms=M    a head at once, then one body byte every M ms (200 by default), 10 in all
"""
import os
import sys
import time

# Unbuffered, so that what it does not read stays in the pipe, where the watchdog can see it.
stdin, out = open(0, "rb", buffering=0), sys.stdout.buffer


def send(data):
    out.write(data)
    out.flush()


def valid(body=None):
    body = body if body is not None else str(os.getpid()).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


while True:
    line = stdin.readline()
    if not line:
        sys.exit(0)
    if line.strip() == b"":
        continue
    method, target, _ = line.decode("latin-1").split(" ", 2)
    path, _, query = target.partition("?")
    length = 0
    while True:
        header = stdin.readline()
        if header in (b"\r\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while path != "/unread" and length > 0:
        chunk = stdin.read(length)
        if not chunk:
            sys.exit(0)
        length -= len(chunk)
    if path == "/ok":
        send(valid())
    elif path == "/garbage":
        send(b"this is not http at all\r\n\r\n")
    elif path == "/extra":
        send(valid() + b"EXTRA")
    elif path == "/stray-later":
        send(valid())
        time.sleep(0.2)
        send(b"stray")
    elif path == "/no-length":
        send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nunframed body")
    elif path == "/chunked":
        send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        time.sleep(0.05)
        send(b"6\r\n world\r\n0\r\n\r\n")
    elif path == "/noreason":
        send(b"HTTP/1.1 201\r\nContent-Length: 2\r\n\r\nok")
    elif path == "/internal":
        send(b"HTTP/1.1 502 Bad Gateway\r\nX-OpenFaaS-Internal: fwatchdog\r\nContent-Length: 2\r\n\r\nno")
    elif path == "/interims":
        send(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" * 17 + valid())
    elif path == "/close":
        send(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 6\r\n\r\nclosed")
    elif path == "/interim":
        send(b"HTTP/1.1 100 Continue\r\n\r\n" + valid(b"after interim"))
    elif path == "/crash-head":
        send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
        os._exit(7)
    elif path == "/exit":
        os._exit(5)
    elif path == "/hang":
        time.sleep(3600)
    elif path == "/huge-header":
        send(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (2 << 20) + b"\r\nContent-Length: 0\r\n\r\n")
    elif path == "/big-length":
        send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\nabc")
    elif path == "/unread":
        send(valid(b"did not read"))
        time.sleep(2)
    elif path == "/close-stdout":
        os.close(1)
        time.sleep(3600)
    elif path == "/slow-body":
        n = int(query.partition("=")[2] or "16")
        send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (n * 65536))
        for _ in range(n):
            send(b"x" * 65536)
    elif path == "/drip":
        pause = int(query.partition("=")[2] or "200") / 1000
        send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
        for _ in range(10):
            time.sleep(pause)
            send(b".")
    else:
        send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
