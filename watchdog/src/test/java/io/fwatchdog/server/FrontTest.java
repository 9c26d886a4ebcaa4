package io.fwatchdog.server;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FrontTest {

    @Test
    void healthAnswersOkOnGet() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat"))) {
            HttpResponse<String> response = w.get("/_/health");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("OK\n");
        }
    }

    @Test
    void healthAnswersHeadWithHeadersOnly() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat")); RawConnection c = w.connect()) {
            c.send("HEAD /_/health HTTP/1.1\r\nHost: x\r\n\r\nGET /_/ready HTTP/1.1\r\nHost: x\r\n\r\n");

            RawConnection.Response head = c.readResponse();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-length")).isEqualTo("3");
            // The next response follows at once: the HEAD response carried no body.
            RawConnection.Response next = c.readResponse();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.text()).isEqualTo("OK\n");
        }
    }

    @Test
    void reservedEndpointsRejectOtherMethodsWith405() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat"))) {
            for (String path : new String[] {"/_/health", "/_/ready"}) {
                HttpResponse<String> response = w.post(path, "");

                assertThat(response.statusCode()).isEqualTo(405);
                assertThat(response.headers().firstValue("allow")).hasValue("GET, HEAD");
            }
        }
    }

    @Test
    void otherPathsGoToTheFunctionUntouched() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("env.sh"))); RawConnection c = w.connect()) {
            c.send("GET /_/health/ HTTP/1.1\r\nHost: x\r\n\r\nGET //a/../b HTTP/1.1\r\nHost: x\r\n\r\n");

            assertThat(c.readResponse().text()).contains("Http_Path=/_/health/");
            assertThat(c.readResponse().text()).contains("Http_Path=//a/../b");
        }
    }

    @Test
    void servesSeveralRequestsOnOneKeptAliveConnection() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat")); RawConnection c = w.connect()) {
            for (int i = 0; i < 3; i++) {
                c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
                assertThat(c.readResponse().text()).isEqualTo("hello");
            }
        }
    }

    @Test
    void servesTheNextRequestAfterOneAnsweredWithinItsOwnReadCycle() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat", "read_timeout", "5s")); RawConnection c = w.connect()) {
            // Each request arrives only after the previous answer, in a read cycle of its own.
            for (int i = 0; i < 3; i++) {
                c.send("GET /_/health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
                assertThat(c.readResponse().status()).isEqualTo(200);
            }
            c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
            assertThat(c.readResponse().text()).isEqualTo("hello");
        }
    }

    @Test
    void answersExpectContinueBeforeTheBody() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat")); RawConnection c = w.connect()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(100);

            c.send("hello");
            assertThat(c.readResponse().text()).isEqualTo("hello");
        }
    }

    @Test
    void rejectsOversizeHeadersWith431AndCloses() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat", "max_header_size", "4Ki")); RawConnection c = w.connect()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(8192) + "\r\n\r\n");

            RawConnection.Response response = c.readResponse();

            assertThat(response.status()).isEqualTo(431);
            assertThat(response.text()).contains("max_header_size");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void rejectsContentLengthWithTransferEncodingWithoutReachingTheFunction() throws Exception {
        Path marker = Files.createTempDirectory("smuggle").resolve("ran");
        try (var w = WatchdogFixture.start(Map.of("fprocess", "touch " + marker)); RawConnection c = w.connect()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");

            assertThat(c.readResponse().status()).isEqualTo(400);
            assertThat(c.closedByServer()).isTrue();
            assertThat(marker).doesNotExist();
        }
    }

    @Test
    void rejectsBrokenChunkFramingWith400() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("mode", "serializing", "fprocess", "cat")); RawConnection c = w.connect()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");

            assertThat(c.readResponse().status()).isEqualTo(400);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void rejectsMalformedHeaderSyntaxWith400() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat")); RawConnection c = w.connect()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n");

            assertThat(c.readResponse().status()).isEqualTo(400);
        }
    }

    @Test
    void passesTheCallersCallIdThroughAndReturnsIt() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat"))) {
            HttpResponse<String> response = w.client.send(HttpRequest.newBuilder(w.uri("/")).header("X-Call-Id", "abc-123")
                    .build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.headers().firstValue("x-call-id")).hasValue("abc-123");
        }
    }

    @Test
    void closesAConnectionThatSendsNoRequestWithinReadTimeout() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat", "read_timeout", "300ms")); RawConnection c = w.connect()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n");

            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void answers408WhenTheBodyIsNotReceivedWithinReadTimeout() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("mode", "serializing", "fprocess", "cat", "read_timeout", "300ms"));
                RawConnection c = w.connect()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");

            RawConnection.Response response = c.readResponse();
            assertThat(response.status()).isEqualTo(408);
            assertThat(response.text()).contains("read_timeout");
        }
    }

    @Test
    void anEarlyAnswerReachesAClientStillSendingTheBodyItDoesNotRead() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("mode", "serializing", "fprocess", "cat", "max_body_size", "1Ki"));
                RawConnection c = w.connect()) {
            int size = 8 << 20; // far more than the socket buffers hold: the watchdog answers long before the end
            c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + size + "\r\n\r\n");

            // Had the watchdog closed with the body unread, the connection would be reset: the
            // writes would fail and the 413 could be lost before it is read.
            c.send(new byte[size]);
            RawConnection.Response response = c.readResponse();

            assertThat(response.status()).isEqualTo(413);
            assertThat(response.text()).contains("max_body_size");
            assertThat(c.closedByServer()).isTrue();
        }
    }
}
