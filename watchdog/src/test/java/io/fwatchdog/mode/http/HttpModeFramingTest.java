package io.fwatchdog.mode.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.RecordingUpstream;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the upstream receives through http mode when clients and upstreams try to move the
 * framing: the upstream sees exactly one request per client request, framed as the watchdog
 * decided, and the client one response per request.
 */
class HttpModeFramingTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private RecordingUpstream upstream;
    private WatchdogFixture w;

    private void start(RecordingUpstream.Responder responder) throws Exception {
        upstream = RecordingUpstream.start(responder);
        w = WatchdogFixture.start(Map.of("mode", "http", "upstream_url", upstream.url(), "exec_timeout", "3s"));
    }

    @AfterEach
    void stop() throws Exception {
        if (w != null) {
            w.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void connectionHeaderCannotStripTheRequestsContentLength() throws Exception {
        start(RecordingUpstream.OK);
        String smuggled = "GET /SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n";
        try (RawConnection c = w.connect()) {
            c.send("POST /a HTTP/1.1\r\nHost: x\r\nConnection: Content-Length\r\nContent-Length: "
                    + smuggled.length() + "\r\n\r\n" + smuggled);
            assertThat(c.readResponse().header("x-upstream-target")).isEqualTo("/a");
        }
        try (RawConnection c = w.connect()) {
            c.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.readResponse().header("x-upstream-target")).isEqualTo("/b");
        }

        List<RecordingUpstream.Request> seen = upstream.awaitRequests(2, WAIT);
        assertThat(seen).extracting(RecordingUpstream.Request::target).containsExactly("/a", "/b");
        assertThat(seen.get(0).header("content-length")).containsExactly(Integer.toString(smuggled.length()));
        assertThat(seen.get(0).bodyText()).isEqualTo(smuggled);
        assertThat(upstream.framingErrors()).isEmpty();
    }

    @Test
    void connectionHeaderCannotStripHostOrTheCallId() throws Exception {
        start(RecordingUpstream.OK);
        try (RawConnection c = w.connect()) {
            c.send("GET /a HTTP/1.1\r\nHost: example.test\r\nX-Call-Id: abc\r\nConnection: Host, X-Call-Id, X-Other\r\n"
                    + "X-Other: gone\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }

        RecordingUpstream.Request seen = upstream.awaitRequests(1, WAIT).get(0);
        assertThat(seen.header("host")).containsExactly("example.test");
        assertThat(seen.header("x-call-id")).containsExactly("abc");
        assertThat(seen.header("x-other")).isEmpty();
    }

    @Test
    void connectionHeaderCannotStripTheResponsesContentLength() throws Exception {
        start((request, out) -> out.write(("HTTP/1.1 200 OK\r\nConnection: Content-Length, Transfer-Encoding\r\n"
                + "Content-Length: 5\r\n\r\nhello").getBytes(ISO_8859_1)));
        try (RawConnection c = w.connect()) {
            c.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");

            RawConnection.Response first = c.readResponse();
            RawConnection.Response second = c.readResponse();

            assertThat(first.header("content-length")).isEqualTo("5");
            assertThat(first.text()).isEqualTo("hello");
            assertThat(second.text()).isEqualTo("hello");
        }
    }

    @Test
    void anUpstreamCannotPassItsAnswerOffAsTheWatchdogs() throws Exception {
        start((request, out) -> out.write(("HTTP/1.1 502 Bad Gateway\r\nX-OpenFaaS-Internal: fwatchdog\r\n"
                + "Content-Length: 2\r\n\r\nno").getBytes(ISO_8859_1)));
        try (RawConnection c = w.connect()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");

            RawConnection.Response response = c.readResponse();

            assertThat(response.status()).isEqualTo(502);
            assertThat(response.headers()).doesNotContainKey("x-openfaas-internal");
        }
    }

    @Test
    void aChunkedRequestWithBadFramingNeverReachesTheUpstream() throws Exception {
        start(RecordingUpstream.OK);
        try (RawConnection c = w.connect()) {
            c.send("POST /bad HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(400);
        }
        try (RawConnection c = w.connect()) {
            c.send("POST /good HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }

        List<RecordingUpstream.Request> seen = upstream.awaitRequests(1, WAIT);
        assertThat(upstream.heads()).containsExactly("POST /good HTTP/1.1");
        assertThat(seen.get(0).header("transfer-encoding")).containsExactly("chunked");
        assertThat(seen.get(0).bodyText()).isEqualTo("hello");
        assertThat(upstream.framingErrors()).isEmpty();
    }

    @Test
    void anInterimResponseDoesNotStopExecTimeout() throws Exception {
        start((request, out) -> out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(ISO_8859_1)));
        try (RawConnection c = w.connect()) {
            c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");

            RawConnection.Response response = c.readResponse();

            assertThat(response.status()).isEqualTo(504);
            assertThat(response.text()).contains("exec_timeout");
        }
    }

    @Test
    void aFloodOfInterimResponsesIsABadGateway() throws Exception {
        start((request, out) -> {
            byte[] interim = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(ISO_8859_1);
            for (int i = 0; i < 10_000; i++) {
                out.write(interim);
            }
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(ISO_8859_1));
        });
        try (RawConnection c = w.connect()) {
            c.send("GET /chatty HTTP/1.1\r\nHost: x\r\n\r\n");

            RawConnection.Response response = c.readResponse();

            assertThat(response.status()).isEqualTo(502);
            assertThat(response.text()).contains("interim");
        }
    }

    @Test
    void aFewInterimResponsesAreSkipped() throws Exception {
        start((request, out) -> out.write(("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").getBytes(ISO_8859_1)));

        assertThat(w.get("/hinted").body()).isEqualTo("ok");
    }

    @Test
    void connectIsRefusedAndNeverForwarded() throws Exception {
        start(RecordingUpstream.OK);
        try (RawConnection c = w.connect()) {
            c.send("CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n");

            RawConnection.Response response = c.readResponse();

            assertThat(response.status()).isEqualTo(501);
            assertThat(response.text()).contains("CONNECT");
        }
        assertThat(w.get("/after").statusCode()).isEqualTo(200);
        assertThat(upstream.requests()).extracting(RecordingUpstream.Request::target).containsExactly("/after");
    }

    @Test
    void anAbsoluteFormTargetReachesTheUpstreamInOriginFormWithItsHost() throws Exception {
        start(RecordingUpstream.OK);
        try (RawConnection c = w.connect()) {
            c.send("GET http://other.test:8080/p?q=1 HTTP/1.1\r\nHost: ignored.test\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }

        RecordingUpstream.Request seen = upstream.awaitRequests(1, WAIT).get(0);
        assertThat(seen.target()).isEqualTo("/p?q=1");
        assertThat(seen.header("host")).containsExactly("other.test:8080");
    }

    @Test
    void utf8BytesInTheTargetReachTheUpstreamUnchanged() throws Exception {
        start(RecordingUpstream.OK);
        byte[] target = "/caf\u00e9/\u2603?x=\u00ff".getBytes(UTF_8);
        try (RawConnection c = w.connect()) {
            c.send(concat("GET ".getBytes(ISO_8859_1), target, " HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(ISO_8859_1)));
            assertThat(c.readResponse().status()).isEqualTo(200);
        }

        // The recorder reads bytes as ISO-8859-1: one char per byte received.
        assertThat(upstream.awaitRequests(1, WAIT).get(0).target().getBytes(ISO_8859_1)).isEqualTo(target);
    }

    @Test
    void anUpgradeTheUpstreamRefusesLeavesAReusableConnection() throws Exception {
        start(RecordingUpstream.OK);
        try (RawConnection c = w.connect()) {
            c.send("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
            c.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.readResponse().header("x-upstream-target")).isEqualTo("/next");
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
