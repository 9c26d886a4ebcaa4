"""The examples of the official python3-flask README, each as the function it documents, chosen by
the first path segment through Flask's request.
"""
from flask import request


def hi(req):
    return "Hi" + str(req)


def accepted(req):
    return "request accepted", 201


def accepted_binary(req):
    return "request accepted", 201, {"Content-Type": "binary/octet-stream"}


def raw(req):
    return str(req)


def as_json(req):
    return {"length": len(req), "method": request.method, "query": request.args.get("q")}


EXAMPLES = {"hi": hi, "accepted": accepted, "accepted-binary": accepted_binary, "raw": raw, "json": as_json}


def handle(req):
    return EXAMPLES[request.path.strip("/")](req)
