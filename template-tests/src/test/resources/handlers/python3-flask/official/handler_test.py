# The official starters' test: a pytest function beside the handler, importing it relatively.
from .handler import handle


def test_handle():
    assert callable(handle)
