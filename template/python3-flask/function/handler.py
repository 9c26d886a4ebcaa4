def handle(req):
    """Answers with the request body it was given (text, or bytes with RAW_BODY=true).

    Return a string, a (body, status) or (body, status, headers) tuple, a dict (sent as JSON)
    or a Flask Response; flask.request has the method, the headers and the query.
    """
    return req
