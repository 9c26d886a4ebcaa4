package io.fwatchdog.mode.http;

import static io.fwatchdog.mode.http.HttpModeTest.freePort;
import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * http mode with {@code ready_path}: the start-up gate, the same gate after a restart, and
 * {@code /_/ready} answered by the upstream. The python test upstream answers
 * {@code /ready?file=F} with 200 once file F exists and 503 before.
 */
class ReadyPathHttpTest {
    private static final String UPSTREAM = function("http_upstream.py");
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private Path gate() {
        return tmp.resolve("gate");
    }

    private Map<String, String> env(int upstreamPort, String... settings) {
        Map<String, String> env = new HashMap<>(Map.of("mode", "http", "upstream_url", "http://127.0.0.1:" + upstreamPort,
                "fprocess", "python3 " + UPSTREAM + " " + upstreamPort, "ready_path", "/ready?file=" + gate()));
        for (int i = 0; i < settings.length; i += 2) {
            env.put(settings[i], settings[i + 1]);
        }
        return env;
    }

    /** A watchdog whose upstream is ready from the start. */
    private WatchdogFixture startReady(String... settings) throws Exception {
        Files.createFile(gate());
        return WatchdogFixture.start(env(freePort(), settings));
    }

    /** The status of GET {@code path} on {@code port}, or 0 while nothing answers there. */
    private int status(int port, String path) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void answersReadinessWithTheUpstreamsStatusAndBody() throws Exception {
        try (var w = startReady()) {
            HttpResponse<String> response = w.get("/_/ready");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("ready\n");
            assertThat(response.headers().firstValue("content-type")).hasValue("text/plain");
        }
    }

    @Test
    void isNotReadyWhileTheUpstreamAnswers503AndHealthStaysUp() throws Exception {
        try (var w = startReady()) {
            Files.delete(gate());

            HttpResponse<String> response = w.get("/_/ready");

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.body()).isEqualTo("not ready yet\n");
            assertThat(w.get("/_/health").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void becomesHealthyOnlyOnceReadyPathAnswers2xx() throws Exception {
        int port = freePort();
        int upstreamPort = freePort();
        Path lock = tmp.resolve(".lock");
        CompletableFuture<WatchdogFixture> starting = CompletableFuture.supplyAsync(() -> {
            try {
                return WatchdogFixture.start(env(upstreamPort, "port", String.valueOf(port), "TMPDIR", tmp.toString()));
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
        WatchdogFixture w = null;
        try {
            // The upstream listens at once and answers 503; the watchdog listens, unhealthy.
            Processes.await(WAIT, () -> status(upstreamPort, "/ready?file=" + gate()) == 503);
            Processes.await(WAIT, () -> status(port, "/_/health") != 0);

            assertThat(status(port, "/_/health")).isEqualTo(503);
            assertThat(lock).doesNotExist();
            assertThat(starting).isNotDone();

            Files.createFile(gate());
            w = starting.get(WAIT.toSeconds(), TimeUnit.SECONDS);

            assertThat(w.get("/_/health").statusCode()).isEqualTo(200);
            assertThat(lock).exists();
        } finally {
            if (!Files.exists(gate())) {
                Files.createFile(gate()); // a start still waiting finishes, so that it can be closed
            }
            if (w == null) {
                w = starting.exceptionally(e -> null).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
            if (w != null) {
                w.close();
            }
        }
    }

    @Test
    void aRestartedUpstreamPassesTheSameGate() throws Exception {
        int upstreamPort = freePort();
        Files.createFile(gate());
        try (var w = WatchdogFixture.startWithMetrics(env(upstreamPort))) {
            Path lock = w.tmp.resolve(".lock");
            Files.delete(gate());
            assertThat(w.get("/exit?code=3").statusCode()).isEqualTo(502);
            Processes.await(WAIT, () -> {
                try {
                    return w.scrape().lines().anyMatch("fwatchdog_upstream_restarts_total 1.0"::equals);
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            // The new upstream listens and answers 503: the watchdog must not count it ready.
            Processes.await(WAIT, () -> status(upstreamPort, "/ready?file=" + gate()) == 503);

            assertThat(w.get("/_/health").statusCode()).isEqualTo(503);
            assertThat(lock).doesNotExist();

            Files.createFile(gate());
            Processes.await(WAIT, () -> status(w.port(), "/_/health") == 200 && Files.exists(lock));
            assertThat(w.get("/_/ready").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void failsToStartWhenReadyPathNeverAnswers2xxWithinStartupTimeout() {
        assertThatThrownBy(() -> WatchdogFixture.start(env(freePort(), "startup_timeout", "1s")))
                .hasMessageContaining("startup_timeout")
                .hasMessageContaining("/ready?file=")
                .hasMessageContaining("503");
    }

    @Test
    void aProbeSlowerThanExecTimeoutAnswers503() throws Exception {
        Path hold = tmp.resolve("hold");
        try (var w = startReady("exec_timeout", "500ms", "ready_path", "/ready?file=" + gate() + "&hold=" + hold)) {
            Files.createFile(hold);
            try {
                HttpResponse<String> response = w.get("/_/ready");

                assertThat(response.statusCode()).isEqualTo(503);
                assertThat(response.body()).contains("ready_path /ready", "exec_timeout (500ms)");
            } finally {
                Files.delete(hold);
            }
            assertThat(w.get("/_/ready").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void gatesAUnixSocketUpstreamToo() throws Exception {
        Path socket = tmp.resolve("upstream.sock");
        Files.createFile(gate());
        try (var w = WatchdogFixture.start(Map.of("mode", "http", "upstream_url", "unix:" + socket,
                "fprocess", "python3 " + UPSTREAM + " unix:" + socket, "ready_path", "/ready?file=" + gate()))) {
            assertThat(w.get("/_/ready").statusCode()).isEqualTo(200);
            assertThat(w.get("/status/204").statusCode()).isEqualTo(204);
        }
    }
}
