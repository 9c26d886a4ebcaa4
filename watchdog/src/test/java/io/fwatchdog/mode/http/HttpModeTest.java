package io.fwatchdog.mode.http;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** http mode end to end: a real upstream server started through fprocess, real sockets. */
class HttpModeTest {
    private static final String UPSTREAM = function("http_upstream.py");

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** A watchdog in http mode in front of the python test upstream on a free port. */
    static WatchdogFixture proxy(String... settings) throws Exception {
        int port = freePort();
        Map<String, String> env = new HashMap<>(Map.of("mode", "http", "upstream_url", "http://127.0.0.1:" + port,
                "fprocess", "python3 " + UPSTREAM + " " + port));
        for (int i = 0; i < settings.length; i += 2) {
            env.put(settings[i], settings[i + 1]);
        }
        // Metrics on: the restart tests wait for the restart itself, which only the metrics show.
        return WatchdogFixture.startWithMetrics(env);
    }

    private static HttpResponse<String> send(WatchdogFixture w, HttpRequest.Builder request) throws Exception {
        return w.client.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void upstreamSeesContentLengthWhenTheClientSentIt() throws Exception {
        try (var w = proxy()) {
            HttpResponse<String> response = w.post("/echo", "hello");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("hello");
            assertThat(response.headers().firstValue("x-seen-content-length")).hasValue("5");
            assertThat(response.headers().firstValue("x-seen-transfer-encoding")).hasValue("none");
            assertThat(response.headers().firstValue("x-duration-seconds")).isPresent();
        }
    }

    @Test
    void queuedRequestsKeepTheirBodiesOnReusedConnections() throws Exception {
        // Admitted from the queue, a call may get a pooled connection and ask for the body at
        // once, from inside Mode.open: the body must still reach it, on every round.
        try (var w = proxy("max_inflight", "1", "max_queue", "100")) {
            for (int round = 0; round < 3; round++) {
                List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> calls = new java.util.ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    calls.add(w.client.sendAsync(HttpRequest.newBuilder(w.uri("/echo")).timeout(Duration.ofSeconds(60))
                            .POST(HttpRequest.BodyPublishers.ofString("call " + round + "." + i)).build(),
                            HttpResponse.BodyHandlers.ofString()));
                }
                for (int i = 0; i < calls.size(); i++) {
                    HttpResponse<String> response = calls.get(i).get();
                    assertThat(response.statusCode()).isEqualTo(200);
                    assertThat(response.body()).isEqualTo("call " + round + "." + i);
                }
            }
        }
    }

    @Test
    void chunkedRequestStaysChunked() throws Exception {
        try (var w = proxy(); RawConnection c = w.connect()) {
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

            RawConnection.Response response = c.readResponse();

            assertThat(response.text()).isEqualTo("hello");
            assertThat(response.header("x-seen-transfer-encoding")).isEqualTo("chunked");
            assertThat(response.header("x-seen-content-length")).isEqualTo("none");
        }
    }

    @Test
    void bufferHttpSendsAChunkedBodyWithContentLength() throws Exception {
        try (var w = proxy("buffer_http", "true"); RawConnection c = w.connect()) {
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\n!!!\r\n0\r\n\r\n");

            RawConnection.Response response = c.readResponse();

            assertThat(response.text()).isEqualTo("hello!!!");
            assertThat(response.header("x-seen-content-length")).isEqualTo("8");
            assertThat(response.header("x-seen-transfer-encoding")).isEqualTo("none");
        }
    }

    @Test
    void bufferHttpAnswers413OverMaxBodySize() throws Exception {
        try (var w = proxy("buffer_http", "true", "max_body_size", "4"); RawConnection c = w.connect()) {
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

            RawConnection.Response response = c.readResponse();

            assertThat(response.status()).isEqualTo(413);
            assertThat(response.text()).contains("max_body_size");
        }
    }

    @Test
    void stripsHopByHopHeadersAndAddsForwardedOnes() throws Exception {
        try (var w = proxy(); RawConnection c = w.connect()) {
            c.send("GET /headers HTTP/1.1\r\nHost: fn.example\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n"
                    + "Keep-Alive: timeout=5\r\nX-End: kept\r\n\r\n");

            List<String> seen = c.readResponse().text().lines().toList();

            assertThat(seen).noneMatch(line -> line.startsWith("x-hop:") || line.startsWith("keep-alive:"))
                    .noneMatch(line -> line.startsWith("connection:") && line.contains("X-Hop"))
                    .contains("x-end: kept", "host: fn.example", "x-forwarded-for: 127.0.0.1",
                            "x-forwarded-proto: http", "x-forwarded-host: fn.example")
                    .anyMatch(line -> line.startsWith("x-call-id: "));
        }
    }

    @Test
    void appendsToAnExistingForwardedFor() throws Exception {
        try (var w = proxy()) {
            HttpResponse<String> response = send(w, HttpRequest.newBuilder(w.uri("/headers"))
                    .header("X-Forwarded-For", "10.1.2.3").header("X-Forwarded-Proto", "https"));

            assertThat(response.body().lines()).contains("x-forwarded-for: 10.1.2.3, 127.0.0.1", "x-forwarded-proto: https");
        }
    }

    @Test
    void keepsEverySetCookie() throws Exception {
        try (var w = proxy()) {
            assertThat(w.get("/cookies").headers().allValues("set-cookie")).containsExactly("a=1", "b=2");
        }
    }

    @Test
    void passesTheUpstreamStatusAndBodyThrough() throws Exception {
        try (var w = proxy()) {
            HttpResponse<String> response = w.get("/status/418");

            assertThat(response.statusCode()).isEqualTo(418);
            assertThat(response.body()).isEqualTo("status body\n");
            assertThat(response.headers().firstValue("x-openfaas-internal")).isEmpty();
        }
    }

    @Test
    void honoursThePathPrefixOfUpstreamUrl() throws Exception {
        int port = freePort();
        try (var w = WatchdogFixture.start(Map.of("mode", "http", "upstream_url", "http://127.0.0.1:" + port + "/base/",
                "fprocess", "python3 " + UPSTREAM + " " + port))) {
            assertThat(w.get("/a/b?x=1").body()).isEqualTo("no such path: /base/a/b?x=1\n");
        }
    }

    @Test
    void streamsServerSentEventsAsTheyArrive() throws Exception {
        Path gate = Files.createTempDirectory("sse").resolve("open");
        try (var w = proxy()) {
            HttpResponse<Stream<String>> response = w.client.send(
                    HttpRequest.newBuilder(w.uri("/gated?file=" + gate)).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofLines());
            Iterator<String> lines = response.body().iterator();

            // The upstream holds the second event until the gate exists: the first must arrive alone.
            assertThat(lines.next()).isEqualTo("data: event 0");
            Files.createFile(gate);
            assertThat(lines.next()).isEmpty();
            assertThat(lines.next()).isEqualTo("data: event 1");
        }
    }

    @Test
    void returns504WhenTheUpstreamDoesNotAnswerWithinExecTimeout() throws Exception {
        try (var w = proxy("exec_timeout", "300ms")) {
            HttpResponse<String> response = w.get("/slow?ms=5000");

            assertThat(response.statusCode()).isEqualTo(504);
            assertThat(response.body()).contains("exec_timeout");
            assertThat(response.headers().firstValue("x-openfaas-internal")).hasValue("fwatchdog");
        }
    }

    @Test
    void xTimeoutShortensExecTimeout() throws Exception {
        try (var w = proxy("exec_timeout", "30s")) {
            HttpResponse<String> response = send(w, HttpRequest.newBuilder(w.uri("/slow?ms=5000")).header("X-Timeout", "200ms"));

            assertThat(response.statusCode()).isEqualTo(504);
            assertThat(response.body()).contains("X-Timeout");
        }
    }

    @Test
    void xTimeoutCannotLengthenOrRemoveExecTimeout() throws Exception {
        try (var w = proxy("exec_timeout", "300ms")) {
            for (String value : new String[] {"0", "-1s", "10s", "junk"}) {
                HttpResponse<String> response = send(w, HttpRequest.newBuilder(w.uri("/slow?ms=5000")).header("X-Timeout", value));

                assertThat(response.statusCode()).as("X-Timeout: %s", value).isEqualTo(504);
                assertThat(response.body()).contains("exec_timeout");
            }
        }
    }

    @Test
    void restartsAnUpstreamThatExitsAndServesAgain() throws Exception {
        try (var w = proxy()) {
            HttpResponse<String> crash = w.get("/exit?code=3");

            assertThat(crash.statusCode()).isEqualTo(502);
            assertThat(crash.body()).contains("upstream");
            // Health is still 200 until the exit is noticed: wait for the restart itself.
            Processes.await(Duration.ofSeconds(30), () -> restarted(w) && status(w) == 200);
            assertThat(w.tmp.resolve(".lock")).exists();
            assertThat(w.get("/status/200").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void neverEndsTheWatchdogAfterACleanExitWithoutTheHealthcheckWait() throws Exception {
        // With a 10 s healthcheck_interval a normal drain would take 10 s; the test's own time bounds it.
        var w = proxy("restart_policy", "never", "healthcheck_interval", "10s");
        try {
            assertThat(w.get("/exit?code=0").statusCode()).isEqualTo(502);

            assertThat(w.watchdog.awaitTermination()).isZero();
            assertThat(w.tmp.resolve(".lock")).doesNotExist();
        } finally {
            w.close();
        }
    }

    @Test
    void restartPolicyNeverExitsWithTheUpstreamsStatus() throws Exception {
        var w = proxy("restart_policy", "never");
        try {
            w.get("/exit?code=7");

            assertThat(w.watchdog.awaitTermination()).isEqualTo(7);
        } finally {
            w.close();
        }
    }

    private static boolean restarted(WatchdogFixture w) {
        try {
            return w.scrape().lines().anyMatch("fwatchdog_upstream_restarts_total 1.0"::equals);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void countsUpstreamStartsExitsAndRestarts() throws Exception {
        int port = freePort();
        try (var w = WatchdogFixture.startWithMetrics(Map.of("mode", "http", "upstream_url", "http://127.0.0.1:" + port,
                "fprocess", "python3 " + UPSTREAM + " " + port))) {
            w.get("/exit?code=4");
            // Health is still 200 until the exit is noticed: wait for the restart itself.
            Processes.await(Duration.ofSeconds(30), () -> restarted(w) && status(w) == 200);

            String metrics = w.scrape();

            assertThat(metrics.lines()).contains(
                    "fwatchdog_function_process_starts_total 2.0",
                    "fwatchdog_function_process_exits_total{reason=\"error\"} 1.0",
                    "fwatchdog_upstream_restarts_total 1.0");
        }
    }

    @Test
    void onFailureRestartsAFailedUpstream() throws Exception {
        try (var w = proxy("restart_policy", "on-failure")) {
            w.get("/exit?code=9");

            Processes.await(Duration.ofSeconds(30), () -> restarted(w) && status(w) == 200);
            assertThat(w.get("/status/204").statusCode()).isEqualTo(204);
        }
    }

    @Test
    void becomesHealthyOnlyOnceALateUpstreamListens() throws Exception {
        int port = freePort();
        long started = System.nanoTime();
        try (var w = WatchdogFixture.start(Map.of("mode", "http", "upstream_url", "http://127.0.0.1:" + port,
                "fprocess", "python3 " + UPSTREAM + " " + port + " --bind-after 1.5"))) {
            // start() returns once healthy; the upstream cannot have been listening before it bound.
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
            assertThat(w.tmp.resolve(".lock")).exists();
            assertThat(w.get("/status/200").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void failsToStartWhenTheUpstreamNeverListens() {
        assertThatThrownBy(() -> WatchdogFixture.start(Map.of("mode", "http", "upstream_url",
                "http://127.0.0.1:" + freePort(), "fprocess", "sleep 60", "startup_timeout", "300ms")))
                .hasMessageContaining("startup_timeout");
    }

    @Test
    void drainsInFlightRequestsBeforeStoppingTheUpstream() throws Exception {
        var w = proxy("healthcheck_interval", "0");
        try {
            CompletableFuture<HttpResponse<String>> slow = w.client.sendAsync(
                    HttpRequest.newBuilder(w.uri("/slow?ms=1500")).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Processes.await(Duration.ofSeconds(30), () -> w.watchdog.inflight() == 1);

            w.watchdog.shutdown();

            assertThat(slow.get().statusCode()).isEqualTo(200);
            assertThat(slow.get().body()).isEqualTo("slow\n");
            assertThat(w.watchdog.awaitTermination()).isZero();
        } finally {
            w.close();
        }
    }

    @Test
    void proxiesToAUnixSocketUpstream() throws Exception {
        Path socket = Files.createTempDirectory("uds").resolve("fn.sock");
        try (var w = WatchdogFixture.start(Map.of("mode", "http", "upstream_url", "unix:" + socket,
                "fprocess", "python3 " + UPSTREAM + " unix:" + socket))) {
            HttpResponse<String> response = w.post("/echo", "over a unix socket");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("over a unix socket");
        }
    }

    @Test
    void uploadsAGibibyteWithAHeapFarSmallerThanTheBody() throws Exception {
        long size = 1L << 30;
        try (var w = proxy("exec_timeout", "0")) {
            HttpResponse<String> response = w.client.send(HttpRequest.newBuilder(w.uri("/count"))
                    .timeout(Duration.ofMinutes(5))
                    .POST(HttpRequest.BodyPublishers.fromPublisher(
                            HttpRequest.BodyPublishers.ofInputStream(() -> zeros(size)), size))
                    .build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(Long.toString(size));
        }
    }

    @Test
    void downloadsAGibibyteWithAHeapFarSmallerThanTheBody() throws Exception {
        try (var w = proxy("exec_timeout", "0")) {
            HttpResponse<InputStream> response = w.client.send(HttpRequest.newBuilder(w.uri("/big?mib=1024"))
                    .timeout(Duration.ofMinutes(5)).build(), HttpResponse.BodyHandlers.ofInputStream());
            long received;
            try (InputStream body = response.body()) {
                received = body.transferTo(java.io.OutputStream.nullOutputStream());
            }

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(received).isEqualTo(1L << 30);
        }
    }

    @Test
    void relaysAWebsocketAfterTheUpgrade() throws Exception {
        try (var w = proxy()) {
            var received = new java.util.concurrent.LinkedBlockingQueue<String>();
            java.net.http.WebSocket socket = w.client.newWebSocketBuilder()
                    .buildAsync(java.net.URI.create("ws://127.0.0.1:" + w.port() + "/ws"), new java.net.http.WebSocket.Listener() {
                        @Override
                        public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket ws, CharSequence data,
                                boolean last) {
                            received.add(data.toString());
                            ws.request(1);
                            return null;
                        }
                    })
                    .get(30, java.util.concurrent.TimeUnit.SECONDS);

            socket.sendText("hello", true).get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(received.poll(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("hello");
            socket.sendText("x".repeat(100_000), true).get(30, java.util.concurrent.TimeUnit.SECONDS);
            StringBuilder big = new StringBuilder();
            while (big.length() < 100_000) {
                String piece = received.poll(30, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(piece).as("echo after %d characters", big.length()).isNotNull();
                big.append(piece);
            }
            assertThat(big.toString()).isEqualTo("x".repeat(100_000));

            socket.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "done").get(30, java.util.concurrent.TimeUnit.SECONDS);
            Processes.await(Duration.ofSeconds(30), () -> w.watchdog.inflight() == 0);
        }
    }

    private static InputStream zeros(long size) {
        return new InputStream() {
            private long left = size;

            @Override
            public int read() {
                return left-- > 0 ? 0 : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                java.util.Arrays.fill(b, off, off + n, (byte) 0);
                left -= n;
                return n;
            }
        };
    }

    private static int status(WatchdogFixture w) {
        try {
            return w.get("/_/health").statusCode();
        } catch (Exception e) {
            return -1;
        }
    }
}
