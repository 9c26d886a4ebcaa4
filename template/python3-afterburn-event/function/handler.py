"""The function: edit this file (and add modules beside it, listed in requirements.txt)."""


def handle(event, context):
    """Greets on GET (?name=...), echoes the request body on any other method."""
    if event.method == "GET":
        name = event.query.get("name", "world")
        if not name:
            raise ValueError("name must not be empty")
        return {"statusCode": 200, "body": {"message": "Hello, %s!" % name}}
    if not event.body:
        return {"statusCode": 400, "body": "nothing to echo: send a request body\n"}
    return {
        "statusCode": 200,
        "headers": {
            "Content-Type": event.headers.get("content-type", "application/octet-stream"),
            "X-Body-Size": str(len(event.body)),
        },
        "body": event.body,
    }
