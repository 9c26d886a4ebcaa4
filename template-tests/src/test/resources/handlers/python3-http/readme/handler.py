"""The examples of the official python3-http README, each as the function it documents, chosen by
the first path segment; and the behaviours users rely on besides (Flask's request, return forms).
"""
from flask import request

from .helpers import hostname


def json_with_content_type(event, context):
    return {"statusCode": 200, "body": {"message": "Hello from OpenFaaS!"},
            "headers": {"Content-Type": "application/json"}}


def json_body(event, context):
    return {"statusCode": 200, "body": {"key": "value"}}


def created(event, context):
    return {"statusCode": 201, "body": "Object successfully created"}


def bad_request(event, context):
    return {"statusCode": 400, "body": {"error": "Bad request"}}


def location(event, context):
    return {"statusCode": 200, "body": {"key": "value"}, "headers": {"Location": "https://www.example.com/"}}


def you_said(event, context):
    return {"statusCode": 200, "body": "You said: " + str(event.body)}


def method(event, context):
    if event.method == "GET":
        return {"statusCode": 200, "body": "GET request"}
    return {"statusCode": 405, "body": "Method not allowed"}


def query(event, context):
    return {"statusCode": 200, "body": {"name": event.query["name"]}}


def content_type(event, context):
    return {"statusCode": 200, "body": {"content-type-received": event.headers.get("Content-Type")}}


def rows(event, context):
    return {"statusCode": 200, "body": [["Michael Stonebraker"]]}


def context_hostname(event, context):
    return {"body": {"hostname": context.hostname, "helper": hostname(context)}}


def nothing(event, context):
    return None


def html(event, context):
    return "<p>hello</p>"


def flask_tuple(event, context):
    return "short and stout", 418, {"X-Kind": "teapot"}


def query_list(event, context):
    return {"body": {"tag": event.query.getlist("tag"), "path": event.path}}


def flask_request(event, context):
    return {"body": {"method": request.method, "path": request.path, "x-thing": request.headers.get("x-thing")}}


def raw_bytes(event, context):
    return {"body": b"\x00\xff", "headers": {"Content-Type": "application/octet-stream"}}


def fails(event, context):
    raise RuntimeError("the handler failed")


EXAMPLES = {name.replace("_", "-"): function for name, function in list(globals().items())
            if callable(function) and not name.startswith("_") and name not in ("handle", "hostname", "request")}


def handle(event, context):
    return EXAMPLES[event.path.strip("/").split("/")[0]](event, context)
