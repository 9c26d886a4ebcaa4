def handle(req):
    return "received " + req
