"""Entry program of the python3-flask template; function authors edit function/, not this file.

Calls function/handler.py's handle(req) with the request body and returns what it returns to
Flask, which serves it on the waitress WSGI server: the handler contract of OpenFaaS's
python3-flask template (README.md). It listens where the watchdog's upstream_url points.
"""
import os
import urllib.parse

from flask import Flask, request
from waitress import serve

from function import handler

app = Flask(__name__)


def raw_body():
    """RAW_BODY=true (or 1) hands the handler bytes instead of text."""
    value = os.getenv("RAW_BODY", "false")
    return value.lower() == "true" or value == "1"


@app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@app.route("/<path:path>", methods=["GET", "POST"])
def call_handler(path):
    return handler.handle(request.get_data(as_text=not raw_body()))


def listen_address():
    url = urllib.parse.urlsplit(os.environ.get("upstream_url") or "http://127.0.0.1:5000")
    return url.hostname or "127.0.0.1", url.port or 80


if __name__ == "__main__":
    host, port = listen_address()
    # The watchdog opens a connection per concurrent request: a backlog as deep as the kernel allows.
    serve(app, host=host, port=port, backlog=4096, ident=None)
