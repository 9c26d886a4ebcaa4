"""The benchmark's trivial handler, shared by every way of running it."""


def handle(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": b"ok\n"}
