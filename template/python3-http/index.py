"""Entry program of the python3-http template; function authors edit function/, not this file.

Serves function/handler.py's handle(event, context) with Flask on the waitress WSGI server, with
the handler contract of OpenFaaS's python3-http template (README.md). It listens where the
watchdog's upstream_url points, so the port is set in one place (the Dockerfile's ENV).
"""
import os
import urllib.parse

from flask import Flask, Response, jsonify, request
from waitress import serve

from function import handler

app = Flask(__name__)

METHODS = ["GET", "PUT", "POST", "PATCH", "DELETE"]


class Event:
    """One request: the body as bytes, Flask's case-insensitive headers and its query MultiDict."""

    def __init__(self):
        self.body = request.get_data()
        self.headers = request.headers
        self.method = request.method
        self.query = request.args
        self.path = request.path


class Context:
    def __init__(self):
        self.hostname = os.getenv("HOSTNAME", "localhost")


def response_body(body):
    if isinstance(body, (dict, list)):
        return jsonify(body)
    if isinstance(body, (bytes, bytearray, memoryview)):
        return Response(bytes(body), mimetype="application/octet-stream")
    if body is None:
        return ""
    return str(body)


def response_headers(headers):
    if headers is None:
        return []
    if isinstance(headers, dict):
        return list(headers.items())
    return headers


def to_flask(result):
    """handle()'s return value as a Flask view's return value."""
    if result is None:
        return "", 200
    if isinstance(result, dict):
        return (response_body(result.get("body")), result.get("statusCode", 200),
                response_headers(result.get("headers")))
    # A string, a (body, status[, headers]) tuple, a Flask Response: Flask's own rules.
    return result


@app.route("/", defaults={"path": ""}, methods=METHODS)
@app.route("/<path:path>", methods=METHODS)
def call_handler(path):
    return to_flask(handler.handle(Event(), Context()))


def listen_address():
    url = urllib.parse.urlsplit(os.environ.get("upstream_url") or "http://127.0.0.1:5000")
    return url.hostname or "127.0.0.1", url.port or 80


if __name__ == "__main__":
    host, port = listen_address()
    # The watchdog opens a connection per concurrent request: a backlog as deep as the kernel allows.
    serve(app, host=host, port=port, backlog=4096, ident=None)
