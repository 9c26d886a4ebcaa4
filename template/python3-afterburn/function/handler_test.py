import unittest

import handler


class HandlerTest(unittest.TestCase):
    def test_answers_with_the_body(self):
        self.assertEqual(handler.handle("input"), "input")


if __name__ == "__main__":
    unittest.main()
