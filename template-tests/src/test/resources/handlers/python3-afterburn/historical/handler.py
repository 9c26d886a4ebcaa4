# What handlers written for the historical python3-afterburn template do: text in, text out.
def handle(req):
    if req == "fail":
        raise ValueError("asked to fail")
    if req == "nothing":
        return None
    return "Hello Python 3: " + req
