"""Tests of the entry program itself (the template's, not the function's): python3 -m unittest index_test"""
import http.client
import socket
import threading
import unittest

import index


class EncodeResultTest(unittest.TestCase):
    def test_bytes_are_sent_as_they_are(self):
        self.assertEqual(index.encode_result({"body": b"\x00\xff"}),
                         (200, [("Content-Type", "application/octet-stream")], b"\x00\xff"))

    def test_a_str_is_utf8_text(self):
        self.assertEqual(index.encode_result({"body": "grüß"}),
                         (200, [("Content-Type", "text/plain; charset=utf-8")], "grüß".encode()))

    def test_dicts_lists_and_numbers_are_json(self):
        self.assertEqual(index.encode_result({"body": {"a": [1, 2]}})[1:], ([("Content-Type", "application/json")], b'{"a": [1, 2]}'))
        self.assertEqual(index.encode_result({"body": [True]})[2], b"[true]")
        self.assertEqual(index.encode_result({"body": 3})[2], b"3")

    def test_no_body_is_empty_without_a_content_type(self):
        self.assertEqual(index.encode_result({"statusCode": 204}), (204, [], b""))

    def test_the_handlers_content_type_wins_and_framing_headers_are_dropped(self):
        status, pairs, _ = index.encode_result({"headers": {"content-type": "text/csv", "Content-Length": "1",
                                                            "Set-Cookie": ["a=1", "b=2"]}, "body": "x"})
        self.assertEqual(pairs, [("content-type", "text/csv"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])

    def test_invalid_results_are_refused_with_the_reason(self):
        for result, reason in [("text", "returned str"), ({"status": 200}, "unknown keys ['status']"),
                               ({"statusCode": "200"}, "statusCode '200'"), ({"statusCode": True}, "statusCode True"),
                               ({"statusCode": 99}, "statusCode 99"), ({"headers": []}, "headers is list"),
                               ({"body": object()}, "not bytes, str or JSON-serializable")]:
            with self.assertRaises(index.InvalidResult) as raised:
                index.encode_result(result)
            self.assertIn(reason, str(raised.exception))


class ServerTest(unittest.TestCase):
    def serve(self, handle):
        server = index.serve(("127.0.0.1", 0), handle)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
        self.addCleanup(connection.close)
        return connection

    def test_the_event_carries_the_request(self):
        seen = {}

        def handle(event, context):
            seen.update(method=event.method, path=event.path, query=event.query, raw_query=event.raw_query,
                        header=event.headers.get("x-thing"), body=event.body, call_id=context.call_id)
            return {"body": "ok"}

        connection = self.serve(handle)
        connection.request("PUT", "/a%20b?x=1&x=2&y=", body=b"data", headers={"X-Thing": "t", "X-Call-Id": "c1"})
        self.assertEqual(connection.getresponse().read(), b"ok")
        self.assertEqual(seen, {"method": "PUT", "path": "/a b", "query": {"x": "2", "y": ""}, "raw_query": "x=1&x=2&y=",
                                "header": "t", "body": b"data", "call_id": "c1"})

    def test_a_chunked_body_arrives_whole(self):
        connection = self.serve(lambda event, context: {"body": event.body})
        connection.request("POST", "/", body=iter([b"hello ", b"world"]), encode_chunked=True)
        self.assertEqual(connection.getresponse().read(), b"hello world")

    def test_an_exception_is_answered_500_with_its_message(self):
        def handle(event, context):
            raise KeyError("missing")

        connection = self.serve(handle)
        connection.request("GET", "/")
        response = connection.getresponse()
        self.assertEqual(response.status, 500)
        self.assertEqual(response.read(), b"handle() raised KeyError: 'missing'\n")

    def test_a_burst_of_connections_waits_in_the_backlog(self):
        # Not serving: every connection has to wait in the accept queue, as in a burst the accept
        # loop has not caught up with. With a small backlog the kernel drops the later handshakes.
        server = index.serve(("127.0.0.1", 0), lambda event, context: {})
        self.addCleanup(server.server_close)
        for _ in range(32):
            conn = socket.create_connection(server.server_address, timeout=5)
            self.addCleanup(conn.close)

    def test_keeps_the_connection_alive(self):
        connection = self.serve(lambda event, context: {"body": event.path})
        for path in ("/one", "/two"):
            connection.request("GET", path)
            self.assertEqual(connection.getresponse().read(), path.encode())


if __name__ == "__main__":
    unittest.main()
