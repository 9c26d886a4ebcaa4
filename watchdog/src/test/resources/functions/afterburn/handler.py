"""Test handler for loop.py; behaviour chosen by path.

/echo        the body back, with the request's Content-Type
/info        JSON: method, path, query, headers, body length, pid
/slow?ms=M   answers its pid after M ms
/meet?dir=D&n=N  leaves a file named by its pid in D, waits (60 s at most) until D holds N,
             then answers its pid, or "alone" if they never came: N requests served at once
/pid         its pid
/raise       raises (the loop answers 500)
/exit?code=N exits the process in the middle of the request
/log         a line on stderr, then "logged"
/utf8        a multi-byte UTF-8 text
"""
import json
import os
import sys
import time


def handle(event, context):
    if event.path == "/echo":
        return {"statusCode": 200, "headers": {"Content-Type": event.headers.get("content-type", "application/octet-stream")},
                "body": event.body}
    if event.path == "/info":
        return {"statusCode": 200, "body": {"method": event.method, "path": event.path, "query": event.query,
                                             "headers": event.headers, "length": len(event.body), "pid": os.getpid(),
                                             "call_id": context.call_id}}
    if event.path == "/slow":
        time.sleep(int(event.query.get("ms", ["100"])[0]) / 1000)
        return str(os.getpid())
    if event.path == "/meet":
        folder, count = event.query["dir"][0], int(event.query["n"][0])
        open(os.path.join(folder, str(os.getpid())), "w").close()
        deadline = time.monotonic() + 60
        while len(os.listdir(folder)) < count:
            if time.monotonic() > deadline:
                return "alone"
            time.sleep(0.01)
        return str(os.getpid())
    if event.path == "/pid":
        return str(os.getpid())
    if event.path == "/raise":
        raise ValueError("boom")
    if event.path == "/exit":
        os._exit(int(event.query.get("code", ["3"])[0]))
    if event.path == "/log":
        print("handler says hello")
        return "logged"
    if event.path == "/utf8":
        return "héllo wörld ✓ 世界 🚀"
    return {"statusCode": 404, "body": "no such path: " + event.path}
