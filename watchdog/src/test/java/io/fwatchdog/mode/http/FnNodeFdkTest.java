package io.fwatchdog.mode.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fwatchdog.testing.FnAgent;
import io.fwatchdog.testing.FnFdks;
import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * upstream_protocol=fn with the real Node FDK from npm running an unchanged Fn function
 * ({@code functions/fn/func.js}): what reaches the function, what comes back, and the faults.
 */
class FnNodeFdkTest {
    private static Path function;
    private WatchdogFixture w;

    @BeforeAll
    static void install() throws Exception {
        function = FnFdks.nodeFunction();
    }

    @AfterEach
    void stop() throws IOException {
        if (w != null) {
            w.close();
        }
    }

    private WatchdogFixture start(String... settings) throws Exception {
        Map<String, String> env = new java.util.HashMap<>(Map.of("mode", "http", "upstream_protocol", "fn",
                "exec_timeout", "10s"));
        for (int i = 0; i < settings.length; i += 2) {
            env.put(settings[i], settings[i + 1]);
        }
        w = WatchdogFixture.start(env, List.of("node", function.toString()));
        return w;
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request) throws Exception {
        return w.client.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(w.uri(path));
    }

    @Test
    void relaysTheFunctionsStatusHeadersAndBody() throws Exception {
        start();

        HttpResponse<byte[]> response = send(request("/echo?status=201").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("hello")));

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(new String(response.body())).isEqualTo("hello");
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain");
        assertThat(response.headers().firstValue("x-method")).hasValue("POST");
        assertThat(response.headers().allValues("x-twice")).containsExactly("one", "two");
        assertThat(response.headers().map().keySet()).noneMatch(name -> name.toLowerCase().startsWith("fn-"));
    }

    @Test
    void givesTheFunctionMethodUrlHeadersCallIdDeadlineAndItsEnvironment() throws Exception {
        start("exec_timeout", "7s");
        Instant before = Instant.now();

        HttpResponse<byte[]> response = send(request("/request?q=1&r=%20").header("X-Thing", "a b")
                .method("DELETE", HttpRequest.BodyPublishers.noBody()));

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode seen = new ObjectMapper().readTree(response.body());
        assertThat(seen.path("method").asText()).isEqualTo("DELETE");
        assertThat(seen.path("url").asText()).isEqualTo("http://127.0.0.1:" + w.port() + "/request?q=1&r=%20");
        JsonNode headers = seen.path("headers");
        assertThat(headers.path("X-Thing").path(0).asText()).isEqualTo("a b");
        assertThat(headers.path("X-Forwarded-For").path(0).asText()).isEqualTo("127.0.0.1");
        assertThat(headers.has("Host")).isFalse();
        assertThat(headers.has("Content-Length")).isFalse();
        assertThat(seen.path("callId").asText()).isEqualTo(response.headers().firstValue("x-call-id").orElseThrow());
        Instant deadline = Instant.parse(seen.path("deadline").asText());
        assertThat(deadline).isBetween(before.plusSeconds(5), Instant.now().plusSeconds(7));
        JsonNode env = seen.path("env");
        assertThat(env.path("FN_FORMAT").asText()).isEqualTo("http-stream");
        assertThat(env.path("FN_TYPE").asText()).isEqualTo("sync");
        assertThat(env.path("FN_LISTENER").asText()).startsWith("unix:" + w.tmp).endsWith("/lsnr.sock");
        assertThat(env.path("FN_MEMORY").asLong()).isPositive();
        assertThat(env.path("FN_APP_ID").asText()).isNotEmpty();
        assertThat(env.path("FN_FN_ID").asText()).isNotEmpty();
    }

    @Test
    void clientFnHeadersArriveAsPlainHeadersAndCannotRewriteTheCall() throws Exception {
        start();

        HttpResponse<byte[]> response = send(request("/request").header("Fn-Http-Method", "PUT")
                .header("Fn-Deadline", "2000-01-01T00:00:00Z").header("Fn-Call-Id", "forged").GET());

        JsonNode seen = new ObjectMapper().readTree(response.body());
        assertThat(seen.path("method").asText()).isEqualTo("GET");
        assertThat(seen.path("callId").asText()).isNotEqualTo("forged");
        assertThat(Instant.parse(seen.path("deadline").asText())).isAfter(Instant.now());
        assertThat(seen.path("headers").path("Fn-Deadline").path(0).asText()).isEqualTo("2000-01-01T00:00:00Z");
    }

    @Test
    void carriesAnEightMebibyteBinaryBodyBothWays() throws Exception {
        start();
        byte[] body = new byte[8 << 20];
        new Random(18).nextBytes(body);

        HttpResponse<byte[]> response = send(request("/echo").header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(body);
    }

    @Test
    void keepsFramingAndRoutingHeadersTheFunctionSetsOutOfTheResponse() throws Exception {
        start();

        HttpResponse<byte[]> response = send(request("/smuggle").GET());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(new String(response.body())).isEqualTo("whole body");
        assertThat(response.headers().firstValue("x-kept")).hasValue("yes");
        assertThat(response.headers().firstValue("x-call-id")).isNotEqualTo(java.util.Optional.of("forged"));
        assertThat(response.headers().firstValue("connection")).isEmpty();
        assertThat(response.headers().firstValue("content-length")).isNotEqualTo(java.util.Optional.of("1"));
    }

    @Test
    void sendsNoBodyWithA204() throws Exception {
        start();

        HttpResponse<byte[]> response = send(request("/empty").GET());

        assertThat(response.statusCode()).isEqualTo(204);
        assertThat(response.body()).isEmpty();
        assertThat(send(request("/echo").POST(HttpRequest.BodyPublishers.ofString("next"))).body()).asString().isEqualTo("next");
    }

    @Test
    void answers502WithTheFdksErrorWhenTheFunctionThrows() throws Exception {
        start();

        HttpResponse<byte[]> response = send(request("/throw").GET());

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(new String(response.body())).contains("the function broke");
        assertThat(send(request("/echo").POST(HttpRequest.BodyPublishers.ofString("still up"))).statusCode()).isEqualTo(200);
    }

    @Test
    void answers504AndStartsAFreshFdkWhenACallOverrunsExecTimeout() throws Exception {
        start("exec_timeout", "1s");

        HttpResponse<byte[]> response = send(request("/hang").GET());

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(new String(response.body())).contains("exec_timeout");
        awaitEcho("after the timeout");
    }

    @Test
    void restartsACrashedFdkAndServesAgain() throws Exception {
        start();

        HttpResponse<byte[]> response = send(request("/crash").GET());

        assertThat(response.statusCode()).isEqualTo(502);
        awaitEcho("after the crash");
    }

    @Test
    void servesConcurrentCallersOneCallAtATime() throws Exception {
        start();
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(w.client.sendAsync(request("/echo").POST(HttpRequest.BodyPublishers.ofString("call " + i))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < calls.size(); i++) {
            HttpResponse<String> response = calls.get(i).get();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("call " + i);
        }
    }

    @Test
    void removesTheSocketDirectoryAtShutdown() throws Exception {
        start();
        assertThat(send(request("/echo").POST(HttpRequest.BodyPublishers.ofString("x"))).statusCode()).isEqualTo(200);

        w.close();

        try (var left = Files.list(w.tmp)) {
            assertThat(left.map(path -> path.getFileName().toString())).noneMatch(name -> name.startsWith("fwatchdog-fn-"));
        }
    }

    @Test
    void behindFnItselfTellsTheFdkTheCallersDeadlineWhenThatComesFirst() throws Exception {
        Instant deadline = Instant.now().plusSeconds(40).truncatedTo(ChronoUnit.SECONDS);
        try (FnAgent agent = FnAgent.create()) {
            Map<String, String> env = new java.util.HashMap<>(agent.environment());
            env.putAll(Map.of("mode", "http", "upstream_protocol", "fn", "exec_timeout", "5m"));
            w = WatchdogFixture.start(env, List.of("node", function.toString()));
            agent.awaitListening();

            FnAgent.Answer answer = agent.send(FnAgent.call("GET", "http://fn.example/request").deadline(deadline));

            assertThat(answer.fnStatus()).isEqualTo(200);
            assertThat(Instant.parse(new ObjectMapper().readTree(answer.body()).path("deadline").asText())).isEqualTo(deadline);
            agent.disconnect();
            w.close();
        }
    }

    @Test
    void failsTheStartNamingStartupTimeoutWhenNoListenerAppears() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> WatchdogFixture.start(Map.of("mode", "http",
                        "upstream_protocol", "fn", "startup_timeout", "300ms"), List.of("sleep", "30")))
                .hasMessageContaining("did not create its listener").hasMessageContaining("startup_timeout (300ms)");
    }

    /** Waits until the function answers again (a restarted FDK), then checks it echoes. */
    private void awaitEcho(String what) throws Exception {
        Processes.await("the Fn function to serve " + what, () -> {
            try {
                return send(request("/echo").POST(HttpRequest.BodyPublishers.ofString(what))).statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(new String(send(request("/echo").POST(HttpRequest.BodyPublishers.ofString(what))).body())).isEqualTo(what);
    }
}
