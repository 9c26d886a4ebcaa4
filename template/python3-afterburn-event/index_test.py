"""Tests of the entry program itself (the template's, not the function's): python3 -m unittest index_test"""
import io
import unittest

import index


def serve(raw, handle):
    """What the loop writes to stdout for the requests in raw."""
    out = io.BytesIO()
    index.run(io.BytesIO(raw), out, handle)
    return out.getvalue()


class LoopTest(unittest.TestCase):
    def test_requests_are_answered_one_after_the_other_in_bytes(self):
        seen = []

        def handle(event, context):
            seen.append((event.method, event.path, event.query, event.raw_query, event.body, context.call_id))
            return {"body": "grüß"}

        out = serve(b"POST /a%20b?x=1&x=2 HTTP/1.1\r\nContent-Length: 4\r\nX-Call-Id: c1\r\n\r\n\x00\xff\r\n"
                    b"GET /next HTTP/1.1\r\nContent-Length: 0\r\n\r\n", handle)

        self.assertEqual(seen, [("POST", "/a b", {"x": "2"}, "x=1&x=2", b"\x00\xff\r\n", "c1"),
                                ("GET", "/next", {}, "", b"", None)])
        one = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 6\r\n\r\n" + "grüß".encode()
        self.assertEqual(out, one + one)

    def test_a_request_without_content_length_has_no_body(self):
        out = serve(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", lambda event, context: {"body": len(event.body)})
        self.assertTrue(out.endswith(b"\r\n\r\n0"))

    def test_repeated_headers_are_joined_and_names_lower_cased(self):
        seen = {}
        serve(b"GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 0\r\n\r\n",
              lambda event, context: seen.update(event.headers) or {})
        self.assertEqual(seen["x-a"], "1, 2")

    def test_head_gets_the_length_without_the_body(self):
        out = serve(b"HEAD / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", lambda event, context: {"body": "four"})
        self.assertTrue(out.endswith(b"Content-Length: 4\r\n\r\n"))

    def test_a_handler_that_raises_gets_500_and_the_loop_goes_on(self):
        def handle(event, context):
            if event.path == "/bad":
                raise ValueError("no good")
            return {"body": "fine"}

        out = serve(b"GET /bad HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET /good HTTP/1.1\r\nContent-Length: 0\r\n\r\n", handle)

        self.assertIn(b"HTTP/1.1 500 Internal Server Error", out)
        self.assertIn(b"handle() raised ValueError: no good", out)
        self.assertTrue(out.endswith(b"fine"))

    def test_an_invalid_result_gets_500_with_the_reason(self):
        out = serve(b"GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", lambda event, context: {"status": 201})
        self.assertIn(b"unknown keys ['status']", out)

    def test_statuses_and_headers_are_the_handlers(self):
        out = serve(b"GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
                    lambda event, context: {"statusCode": 201, "headers": {"Set-Cookie": ["a=1", "b=2"]}, "body": b"x"})
        self.assertTrue(out.startswith(b"HTTP/1.1 201 Created\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"))


if __name__ == "__main__":
    unittest.main()
