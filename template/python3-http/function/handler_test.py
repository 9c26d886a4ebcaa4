from types import SimpleNamespace

import pytest
from werkzeug.datastructures import Headers, MultiDict

from .handler import handle

# Run at build time with tox (tox.ini); --build-arg TEST_ENABLED=false skips them.


def event(method="GET", query=None, body=b"", headers=None):
    return SimpleNamespace(method=method, path="/", query=MultiDict(query or {}), headers=Headers(headers or {}),
                           body=body)


CONTEXT = SimpleNamespace(hostname="localhost")


def test_greets_by_name():
    assert handle(event(query={"name": "Ada"}), CONTEXT)["body"] == {"message": "Hello, Ada!"}


def test_refuses_an_empty_name():
    with pytest.raises(ValueError):
        handle(event(query={"name": ""}), CONTEXT)


def test_echoes_the_body_with_its_content_type():
    result = handle(event("POST", body=b"hi", headers={"content-type": "text/plain"}), CONTEXT)
    assert result["body"] == b"hi"
    assert result["headers"] == {"Content-Type": "text/plain", "X-Body-Size": "2"}


def test_answers_400_to_an_empty_body():
    assert handle(event("POST"), CONTEXT)["statusCode"] == 400
