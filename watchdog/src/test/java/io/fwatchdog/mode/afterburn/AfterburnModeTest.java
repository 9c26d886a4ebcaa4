package io.fwatchdog.mode.afterburn;

import static io.fwatchdog.mode.afterburn.Afterburn.NODE_LOOP;
import static io.fwatchdog.mode.afterburn.Afterburn.PYTHON_LOOP;
import static io.fwatchdog.mode.afterburn.Afterburn.pid;
import static io.fwatchdog.mode.afterburn.Afterburn.send;
import static io.fwatchdog.mode.afterburn.Afterburn.sendBytes;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** afterburn mode end to end with the reference loops: real processes, real sockets. */
class AfterburnModeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"python", "node"})
    void everyByteValueRoundTrips(String loop) throws Exception {
        byte[] all = new byte[256 * 64];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        try (var w = Afterburn.start(command(loop))) {
            HttpResponse<byte[]> response = sendBytes(w, HttpRequest.newBuilder(w.uri("/echo"))
                    .header("Content-Type", "application/x-test").POST(HttpRequest.BodyPublishers.ofByteArray(all)));

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(all);
            assertThat(response.headers().firstValue("content-type")).hasValue("application/x-test");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "node"})
    void multiByteUtf8RoundTripsBothWays(String loop) throws Exception {
        String text = "héllo wörld ✓ 世界 🚀";
        try (var w = Afterburn.start(command(loop))) {
            HttpResponse<byte[]> echoed = sendBytes(w, HttpRequest.newBuilder(w.uri("/echo"))
                    .POST(HttpRequest.BodyPublishers.ofString(text, StandardCharsets.UTF_8)));
            HttpResponse<byte[]> produced = sendBytes(w, HttpRequest.newBuilder(w.uri("/utf8")));

            assertThat(new String(echoed.body(), StandardCharsets.UTF_8)).isEqualTo(text);
            assertThat(new String(produced.body(), StandardCharsets.UTF_8)).isEqualTo(text);
            assertThat(produced.headers().firstValue("content-length"))
                    .hasValue(String.valueOf(text.getBytes(StandardCharsets.UTF_8).length));
        }
    }

    @Test
    void theProcessSeesTheRequestAsSentWithItsLengthAndWithoutHopByHopHeaders() throws Exception {
        try (var w = Afterburn.start(PYTHON_LOOP); RawConnection c = w.connect()) {
            c.send("GET /info?a=1&a=2&b= HTTP/1.1\r\nHost: fn.example\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n"
                    + "Keep-Alive: timeout=5\r\nX-Call-Id: call-42\r\nX-Multi: one\r\nX-Multi: two\r\n\r\n");

            RawConnection.Response response = c.readResponse();
            JsonNode info = JSON.readTree(response.body());

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("content-type")).isEqualTo("application/json");
            assertThat(info.get("method").asText()).isEqualTo("GET");
            assertThat(info.get("path").asText()).isEqualTo("/info");
            assertThat(info.get("query").get("a").toString()).isEqualTo("[\"1\",\"2\"]");
            assertThat(info.get("query").get("b").toString()).isEqualTo("[\"\"]");
            JsonNode headers = info.get("headers");
            assertThat(headers.get("content-length").asText()).isEqualTo("0");
            assertThat(headers.get("host").asText()).isEqualTo("fn.example");
            assertThat(headers.get("x-multi").asText()).isEqualTo("one, two");
            assertThat(headers.get("x-forwarded-for").asText()).isEqualTo("127.0.0.1");
            assertThat(headers.has("x-hop")).isFalse();
            assertThat(headers.has("keep-alive")).isFalse();
            assertThat(headers.has("connection")).isFalse();
            assertThat(info.get("call_id").asText()).isEqualTo("call-42");
            assertThat(response.header("x-call-id")).isEqualTo("call-42");
        }
    }

    @Test
    void aChunkedBodyIsCollectedAndSentWithItsLength() throws Exception {
        try (var w = Afterburn.start(PYTHON_LOOP); RawConnection c = w.connect()) {
            c.send("POST /info HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\n!!!\r\n0\r\n\r\n");

            JsonNode info = JSON.readTree(c.readResponse().body());

            assertThat(info.get("length").asInt()).isEqualTo(8);
            assertThat(info.get("headers").get("content-length").asText()).isEqualTo("8");
            assertThat(info.get("headers").has("transfer-encoding")).isFalse();
        }
    }

    @Test
    void aChunkedBodyOverMaxBodySizeGets413AndNeverReachesAProcess() throws Exception {
        try (var w = Afterburn.start(PYTHON_LOOP, "max_body_size", "4"); RawConnection c = w.connect()) {
            long before = pid(w, "/pid");
            c.send("POST /info HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

            RawConnection.Response response = c.readResponse();

            assertThat(response.status()).isEqualTo(413);
            assertThat(response.text()).contains("max_body_size");
            assertThat(pid(w, "/pid")).isEqualTo(before);
        }
    }

    @Test
    void aLargeContentLengthBodyIsStreamedThrough() throws Exception {
        byte[] big = new byte[8 << 20];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        try (var w = Afterburn.start(PYTHON_LOOP, "max_body_size", "1Mi")) {
            HttpResponse<byte[]> response = sendBytes(w, HttpRequest.newBuilder(w.uri("/echo"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(big)));

            // A Content-Length body is streamed, so max_body_size (for collected bodies) does not apply.
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(big);
        }
    }

    @Test
    void headGetsTheHeadersWithoutABodyAndTheWorkerStaysInService() throws Exception {
        try (var w = Afterburn.start(PYTHON_LOOP)) {
            long before = pid(w, "/pid");
            int length = w.get("/utf8").body().getBytes(StandardCharsets.UTF_8).length;

            HttpResponse<byte[]> head = sendBytes(w, HttpRequest.newBuilder(w.uri("/utf8"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()));

            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValue("content-length")).hasValue(String.valueOf(length));
            assertThat(head.body()).isEmpty();
            assertThat(pid(w, "/pid")).isEqualTo(before);
        }
    }

    @Test
    void aHandlerThatRaisesGets500AndTheProcessServesOn() throws Exception {
        try (var w = Afterburn.start(PYTHON_LOOP)) {
            long before = pid(w, "/pid");

            HttpResponse<String> failed = w.get("/raise");

            assertThat(failed.statusCode()).isEqualTo(500);
            assertThat(failed.body()).contains("boom");
            assertThat(pid(w, "/pid")).isEqualTo(before);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "node"})
    void slowRequestsRunConcurrentlyOnSeparateProcesses(String loop, @TempDir Path meeting) throws Exception {
        int workers = 4;
        try (var w = Afterburn.start(command(loop), "workers", String.valueOf(workers), "min_workers", String.valueOf(workers))) {
            // Each request waits until all of them are being served: one after the other, they never would be.
            String uri = "/meet?n=" + workers + "&dir=" + URLEncoder.encode(meeting.toString(), StandardCharsets.UTF_8);
            List<CompletableFuture<HttpResponse<String>>> calls = IntStream.range(0, workers)
                    .mapToObj(i -> w.client.sendAsync(HttpRequest.newBuilder(w.uri(uri)).build(),
                            HttpResponse.BodyHandlers.ofString()))
                    .toList();
            Set<String> pids = new HashSet<>();
            for (var call : calls) {
                HttpResponse<String> response = call.get();
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.body()).as("the other requests were served meanwhile").isNotEqualTo("alone");
                pids.add(response.body());
            }

            assertThat(pids).hasSize(workers);
        }
    }

    @Test
    void aBurstQueuesForTheOneDefaultProcessRatherThanBeingRefused() throws Exception {
        int burst = 50;
        try (var w = Afterburn.start(PYTHON_LOOP)) {
            List<CompletableFuture<HttpResponse<String>>> calls = IntStream.range(0, burst)
                    .mapToObj(i -> w.client.sendAsync(HttpRequest.newBuilder(w.uri("/slow?ms=20")).build(),
                            HttpResponse.BodyHandlers.ofString()))
                    .toList();

            for (var call : calls) {
                assertThat(call.get().statusCode()).isEqualTo(200);
            }
        }
    }

    @Test
    void historicalLoopsWorkForAsciiPayloads() throws Exception {
        try (var w = Afterburn.start(Afterburn.HISTORICAL)) {
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> response = w.post("/hello", "ascii body " + i);

                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.body()).isEqualTo("POST /hello ascii body " + i);
                assertThat(response.headers().firstValue("connection")).isEmpty();
            }
            HttpResponse<String> get = w.get("/again");
            assertThat(get.body()).isEqualTo("GET /again ");
        }
    }

    @Test
    void aBodyThatFitsOneReadArrivesInTheSameReadAsItsHead() throws Exception {
        String body = "x".repeat(AfterburnCall.ONE_WRITE - 1000);
        try (var w = Afterburn.start(Afterburn.ONE_READ); RawConnection c = w.connect()) {
            // A first request makes sure a process is up and idle. The second one's body is sent
            // only once the front has taken its head, in two writes, so a head written on its
            // own would reach the waiting process first.
            c.send("GET /warm HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.readResponse().text()).isEqualTo("0 of 0");
            c.send("POST /one HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " + body.length()
                    + "\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(100);
            c.send(body.substring(0, body.length() / 2));
            c.send(body.substring(body.length() / 2));

            RawConnection.Response response = c.readResponse();

            assertThat(response.text()).isEqualTo(body.length() + " of " + body.length());
        }
    }

    @Test
    void aBodyLargerThanOneReadStillArrivesWhole() throws Exception {
        int length = 4 * AfterburnCall.ONE_WRITE;
        try (var w = Afterburn.start(Afterburn.ONE_READ)) {
            HttpResponse<String> response = w.post("/big", "y".repeat(length));

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).endsWith(" of " + length);
        }
    }

    private static String command(String loop) {
        return loop.equals("node") ? NODE_LOOP : PYTHON_LOOP;
    }
}
