"""A hot loop that behaves as the historical python-afterburn template did (written here from its
documented behaviour): stdin read one character at a time, header lines up to the blank one,
Content-Length characters of body, handle(body), a text/plain answer."""
import sys

from handler import handle


def read_line():
    line = ""
    while True:
        c = sys.stdin.read(1)
        if c == "":
            sys.exit(0)
        if c == "\r":
            continue
        if c == "\n":
            return line
        line += c


while True:
    request_line = read_line()
    headers = {}
    while True:
        line = read_line()
        if line == "":
            break
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    try:
        body = sys.stdin.read(int(headers["Content-Length"]))
        out = str(handle(body))
        status = "200 OK"
    except Exception as e:
        out, status = str(e), "500 Internal Server Error"
    sys.stdout.write("HTTP/1.1 %s\r\nContent-Length: %d\r\nContent-Type: text/plain\r\nConnection: Close\r\n\r\n%s"
                     % (status, len(out.encode()), out))
    sys.stdout.flush()
