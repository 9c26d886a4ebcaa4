"""Tests of the entry program itself (the template's, not the function's): python3 -m unittest index_test"""
import io
import unittest

import index


def serve(raw, handle):
    out = io.BytesIO()
    index.run(io.BytesIO(raw), out, handle)
    return out.getvalue()


class LoopTest(unittest.TestCase):
    def test_requests_are_answered_one_after_the_other_with_the_body_as_text(self):
        seen = []

        def handle(req):
            seen.append(req)
            return "got " + req

        out = serve("POST / HTTP/1.1\r\nContent-Length: 6\r\n\r\ngrüß".encode() + b"GET / HTTP/1.1\r\n\r\n", handle)
        self.assertEqual(seen, ["grüß", ""])
        self.assertEqual(out.count(b"HTTP/1.1 200 OK\r\n"), 2)
        self.assertIn("Content-Length: 10\r\n\r\ngot grüß".encode(), out)

    def test_return_values_are_text_json_bytes_or_nothing(self):
        self.assertEqual(index.encode_result("x"), (200, [("Content-Type", "text/plain; charset=utf-8")], b"x"))
        self.assertEqual(index.encode_result({"a": 1})[1:], ([("Content-Type", "application/json")], b'{"a": 1}'))
        self.assertEqual(index.encode_result(b"\x00\xff"), (200, [("Content-Type", "application/octet-stream")], b"\x00\xff"))
        self.assertEqual(index.encode_result(None), (200, [], b""))
        self.assertEqual(index.encode_result(7)[2], b"7")

    def test_a_handler_that_raises_gets_500_and_the_loop_goes_on(self):
        def handle(req):
            if req == "bad":
                raise ValueError("no good")
            return "fine"

        out = serve(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nbadPOST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nok", handle)
        self.assertIn(b"HTTP/1.1 500 Internal Server Error", out)
        self.assertIn(b"handle() raised ValueError: no good", out)
        self.assertTrue(out.endswith(b"fine"))


if __name__ == "__main__":
    unittest.main()
