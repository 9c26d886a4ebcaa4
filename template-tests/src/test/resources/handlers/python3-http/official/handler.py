# The behaviour of the official python3-http starter: a fixed greeting as a string body.
def handle(event, context):
    return {"statusCode": 200, "body": "Hello from OpenFaaS!"}
