# The behaviour of the official python3-flask starter: the request body back.
def handle(req):
    return req
