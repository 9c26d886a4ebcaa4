package io.fwatchdog.templates;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.WatchdogFixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The historical afterburn loops, as functions written for the historical watchdog ran them,
 * under fwatchdog's afterburn mode with its default settings: the python-afterburn loop (reads
 * character by character, needs Content-Length) and the nodejs-afterburn loop (takes each read
 * for a whole request, head and body together). Both are test resources written from the
 * documented behaviour of those loops.
 */
class HistoricalAfterburnLoopTest {
    private static final Path LOOPS = Path.of("src", "test", "resources", "historical").toAbsolutePath();

    private static WatchdogFixture start(String... command) throws Exception {
        return WatchdogFixture.start(Map.of("mode", "afterburn"), List.of(command));
    }

    private static String post(WatchdogFixture watchdog, String body) throws Exception {
        HttpResponse<String> response = watchdog.client.send(HttpRequest.newBuilder(watchdog.uri("/"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertThat(response.statusCode()).as("status of POST %s: %s", body, response.body()).isEqualTo(200);
        return response.body();
    }

    /** A burst of concurrent requests, each of which must get its own answer, none a 429. */
    private static void burst(WatchdogFixture watchdog, int requests, String expectedPrefix) throws Exception {
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            responses.add(watchdog.client.sendAsync(HttpRequest.newBuilder(watchdog.uri("/")).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString("request " + i)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> response = responses.get(i).get(60, TimeUnit.SECONDS);
            assertThat(response.statusCode()).as("request %d of the burst", i).isEqualTo(200);
            assertThat(response.body()).isEqualTo(expectedPrefix + "request " + i);
        }
    }

    @Test
    void pythonAfterburnLoopAnswersEachRequestWithItsOwnBody() throws Exception {
        try (WatchdogFixture watchdog = start("python3", LOOPS.resolve("python-afterburn/index.py").toString())) {
            for (String body : List.of("one", "two", "", "three")) {
                assertThat(post(watchdog, body)).isEqualTo("received " + body);
            }
        }
    }

    @Test
    void nodejsAfterburnLoopAnswersEachRequestWithItsOwnBody() throws Exception {
        try (WatchdogFixture watchdog = start("node", LOOPS.resolve("nodejs-afterburn/index.js").toString())) {
            for (String body : List.of("one", "two", "three", "four")) {
                assertThat(post(watchdog, body)).isEqualTo("{\"received\":\"" + body + "\"}");
            }
        }
    }

    @Test
    void aBurstQueuesAsTheHistoricalWatchdogQueuedIt() throws Exception {
        try (WatchdogFixture watchdog = start("python3", LOOPS.resolve("python-afterburn/index.py").toString())) {
            burst(watchdog, 20, "received ");
        }
    }
}
