#!/usr/bin/env python3
"""An afterburn loop written the way the historical afterburn client libraries wrote theirs:
text-mode stdio, Content-Length counted in characters, header lines split on ": ", and
"Connection: Close" in every response. Good for ASCII payloads only, as they were."""
import sys

while True:
    line = sys.stdin.readline()
    if not line:
        break
    method, path, version = line.rstrip("\r\n").split(" ")
    headers = {}
    while True:
        header = sys.stdin.readline().rstrip("\r\n")
        if header == "":
            break
        name, value = header.split(": ", 1)
        headers[name] = value
    body = sys.stdin.read(int(headers["Content-Length"]))
    reply = "%s %s %s" % (method, path, body)
    sys.stdout.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: Close\r\n"
                     "Content-Length: %d\r\n\r\n%s" % (len(reply), reply))
    sys.stdout.flush()
