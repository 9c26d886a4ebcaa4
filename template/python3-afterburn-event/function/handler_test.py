import types
import unittest

import handler


def event(method="GET", query=None, body=b"", headers=None):
    return types.SimpleNamespace(method=method, path="/", query=query or {}, raw_query="",
                                 headers=headers or {}, body=body)


CONTEXT = types.SimpleNamespace(call_id="test")


class HandlerTest(unittest.TestCase):
    def test_greets_by_name(self):
        result = handler.handle(event(query={"name": "Ada"}), CONTEXT)
        self.assertEqual(result["body"], {"message": "Hello, Ada!"})

    def test_refuses_an_empty_name(self):
        with self.assertRaises(ValueError):
            handler.handle(event(query={"name": ""}), CONTEXT)

    def test_echoes_the_body_with_its_content_type(self):
        result = handler.handle(event("POST", body=b"hi", headers={"content-type": "text/plain"}), CONTEXT)
        self.assertEqual(result["body"], b"hi")
        self.assertEqual(result["headers"]["Content-Type"], "text/plain")
        self.assertEqual(result["headers"]["X-Body-Size"], "2")

    def test_answers_400_to_an_empty_body(self):
        self.assertEqual(handler.handle(event("POST"), CONTEXT)["statusCode"], 400)


if __name__ == "__main__":
    unittest.main()
