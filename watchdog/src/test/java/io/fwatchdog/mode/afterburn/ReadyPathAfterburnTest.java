package io.fwatchdog.mode.afterburn;

import static io.fwatchdog.mode.afterburn.Afterburn.PYTHON_LOOP;
import static io.fwatchdog.mode.afterburn.Afterburn.hotWorkers;
import static io.fwatchdog.mode.afterburn.Afterburn.pid;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.Processes;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@code /_/ready} with {@code ready_path} in afterburn mode: the probe goes to a hot process
 * like a request, waits for one like a request, and is bounded by {@code exec_timeout}.
 */
class ReadyPathAfterburnTest {

    @Test
    void aHotProcessAnswersTheProbe() throws Exception {
        try (var w = Afterburn.start(PYTHON_LOOP, "ready_path", "/pid")) {
            long servedRequest = pid(w, "/pid");

            HttpResponse<String> response = w.get("/_/ready");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(Long.parseLong(response.body().trim())).isEqualTo(servedRequest);
        }
    }

    @Test
    void isNotReadyWhenTheFunctionAnswers500AndHealthStaysUp() throws Exception {
        try (var w = Afterburn.start(PYTHON_LOOP, "ready_path", "/raise")) {
            assertThat(w.get("/_/ready").statusCode()).isEqualTo(500);
            assertThat(w.get("/_/health").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void waitsForTheBusyProcessLikeARequest() throws Exception {
        try (var w = Afterburn.startWithMetrics(PYTHON_LOOP, "ready_path", "/pid", "workers", "1")) {
            CompletableFuture<HttpResponse<String>> slow = w.client.sendAsync(HttpRequest.newBuilder(w.uri("/slow?ms=1500"))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            Processes.await(Duration.ofSeconds(30), () -> hotWorkers(w, "busy") == 1);

            HttpResponse<String> ready = w.get("/_/ready");

            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(slow.join().statusCode()).isEqualTo(200);
            assertThat(ready.body().trim()).isEqualTo(slow.join().body().trim());
        }
    }

    @Test
    void aProbeSlowerThanExecTimeoutAnswers503AndTheProcessIsReplaced() throws Exception {
        try (var w = Afterburn.start(PYTHON_LOOP, "ready_path", "/slow?ms=10000", "exec_timeout", "1s")) {
            long before = pid(w, "/pid");

            HttpResponse<String> response = w.get("/_/ready");

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.body()).contains("ready_path /slow?ms=10000", "exec_timeout (1s)");
            assertThat(pid(w, "/pid")).isNotEqualTo(before);
        }
    }
}
