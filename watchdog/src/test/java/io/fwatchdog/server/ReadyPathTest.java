package io.fwatchdog.server;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.WatchdogFixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code /_/ready} does with {@code ready_path} in every mode: the probe's place beside
 * health, admission, metrics and timeouts, and static mode's answer. The function is
 * {@code ready.sh} in streaming mode, steered by headers of the {@code /_/ready} request.
 */
class ReadyPathTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private static WatchdogFixture start(boolean metrics, String... settings) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("fprocess", "sh " + function("ready.sh"), "ready_path", "/ready"));
        for (int i = 0; i < settings.length; i += 2) {
            env.put(settings[i], settings[i + 1]);
        }
        return metrics ? WatchdogFixture.startWithMetrics(env) : WatchdogFixture.start(env);
    }

    private static HttpResponse<String> ready(WatchdogFixture w, String... headers) throws Exception {
        return w.client.send(readyRequest(w, headers).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder readyRequest(WatchdogFixture w, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(w.uri("/_/ready")).timeout(Duration.ofSeconds(60));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return request;
    }

    private static long lines(Path file) throws Exception {
        return Files.exists(file) ? Files.readAllLines(file).size() : 0;
    }

    @Test
    void coalescesConcurrentReadinessRequestsIntoOneProbe() throws Exception {
        Path gate = tmp.resolve("gate");
        Path count = tmp.resolve("count");
        try (var w = start(false)) {
            List<CompletableFuture<HttpResponse<String>>> answers = IntStream.range(0, 5)
                    .mapToObj(i -> w.client.sendAsync(readyRequest(w, "X-Gate", gate.toString(), "X-Count", count.toString())
                            .build(), HttpResponse.BodyHandlers.ofString()))
                    .toList();
            Processes.await(WAIT, () -> w.watchdog.readinessWaiting() == 5);
            Files.createFile(gate);

            List<HttpResponse<String>> responses = answers.stream().map(CompletableFuture::join).toList();

            assertThat(responses).allSatisfy(response -> {
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.body()).isEqualTo("ready");
            });
            assertThat(responses.stream().map(r -> r.headers().firstValue("x-call-id").orElseThrow()).distinct()).hasSize(1);
            assertThat(Files.readAllLines(count)).containsExactly("GET /ready");
        }
    }

    @Test
    void aProbeThatEndedLeavesTheNextReadinessRequestToStartAFreshOne() throws Exception {
        Path count = tmp.resolve("count");
        try (var w = start(false)) {
            String first = ready(w, "X-Count", count.toString()).headers().firstValue("x-call-id").orElseThrow();
            String second = ready(w, "X-Count", count.toString()).headers().firstValue("x-call-id").orElseThrow();

            assertThat(first).isNotEqualTo(second);
            assertThat(lines(count)).isEqualTo(2);
        }
    }

    @Test
    void headAnswersTheProbesStatusWithoutABody() throws Exception {
        try (var w = start(false)) {
            HttpResponse<String> ok = w.client.send(readyRequest(w).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> failing = w.client.send(readyRequest(w, "X-Exit", "3")
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).isEmpty();
            assertThat(failing.statusCode()).isEqualTo(500);
            assertThat(failing.body()).isEmpty();
        }
    }

    @Test
    void theProbeIsNotCountedAsARequest() throws Exception {
        try (var w = start(true)) {
            assertThat(ready(w).statusCode()).isEqualTo(200);

            String metrics = w.scrape();

            assertThat(metrics.lines()).noneMatch(line -> line.startsWith("http_requests_total{"))
                    .noneMatch(line -> line.startsWith("http_request_duration_seconds_count{"))
                    .contains("fwatchdog_function_process_starts_total 1.0");
        }
    }

    @Test
    void answers429WithoutProbingWhileMaxInflightRequestsRun() throws Exception {
        Path gate = tmp.resolve("gate");
        Path count = tmp.resolve("count");
        try (var w = start(false, "max_inflight", "1")) {
            CompletableFuture<HttpResponse<String>> held = w.client.sendAsync(HttpRequest.newBuilder(w.uri("/work"))
                    .header("X-Gate", gate.toString()).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Processes.await(WAIT, () -> w.watchdog.inflight() == 1);

            HttpResponse<String> busy = ready(w, "X-Count", count.toString());
            Files.createFile(gate);

            assertThat(busy.statusCode()).isEqualTo(429);
            assertThat(busy.body()).contains("max_inflight");
            assertThat(count).doesNotExist();
            assertThat(held.join().statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aProbeSlowerThanExecTimeoutAnswers503AndItsProcessIsEnded() throws Exception {
        Path never = tmp.resolve("never");
        try (var w = start(true, "exec_timeout", "500ms")) {
            HttpResponse<String> response = ready(w, "X-Gate", never.toString());

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.body()).contains("ready_path /ready", "exec_timeout (500ms)");
            assertThat(response.headers().firstValue("x-openfaas-internal")).hasValue("fwatchdog");
            Processes.await(WAIT, () -> {
                try {
                    return w.scrape().lines().anyMatch("fwatchdog_function_process_exits_total{reason=\"timeout\"} 1.0"::equals);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(w.get("/_/health").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void staticModeAnswersWithTheFileAtReadyPath() throws Exception {
        Files.writeString(tmp.resolve("ready.txt"), "all good\n");
        try (var w = WatchdogFixture.start(Map.of("mode", "static", "static_path", tmp.toString(), "ready_path", "/ready.txt"))) {
            HttpResponse<String> response = w.get("/_/ready");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("all good\n");
            assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        }
    }

    @Test
    void theProbeAsksForTheWholeAnswerWhateverTheReadinessRequestMadeConditional() throws Exception {
        Files.writeString(tmp.resolve("ready.txt"), "all good\n");
        try (var w = WatchdogFixture.start(Map.of("mode", "static", "static_path", tmp.toString(), "ready_path", "/ready.txt"))) {
            HttpResponse<String> response = w.client.send(java.net.http.HttpRequest.newBuilder(w.uri("/_/ready"))
                    .header("If-None-Match", "*").header("If-Modified-Since", "Tue, 01 Dec 2099 10:00:00 GMT")
                    .header("Range", "bytes=0-0").build(), HttpResponse.BodyHandlers.ofString());

            // A 304 or 206 would not say whether the function is ready.
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("all good\n");
        }
    }

    @Test
    void staticModeIsNotReadyWithoutTheFile() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("mode", "static", "static_path", tmp.toString(), "ready_path", "/ready.txt"))) {
            assertThat(w.get("/_/ready").statusCode()).isEqualTo(404);
            assertThat(w.get("/_/health").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void keepsTheFirst64KiBOfALargerAnswer() throws Exception {
        byte[] big = new byte[200 * 1024];
        java.util.Arrays.fill(big, (byte) 'x');
        Files.write(tmp.resolve("big.txt"), big);
        try (var w = WatchdogFixture.start(Map.of("mode", "static", "static_path", tmp.toString(), "ready_path", "/big.txt"))) {
            HttpResponse<byte[]> response = w.client.send(HttpRequest.newBuilder(w.uri("/_/ready"))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).hasSize(ReadyProbe.MAX_BODY);
        }
    }
}
