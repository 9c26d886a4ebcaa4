package io.fwatchdog.metrics;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.process.ExitReason;
import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MetricsTest {

    @Test
    void everyExitReasonHasASeriesFromTheStart() {
        assertThat(Metrics.EXIT_REASONS).containsExactlyInAnyOrderElementsOf(
                Arrays.stream(ExitReason.values()).map(r -> r.name().toLowerCase(Locale.ROOT)).toList());
    }
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*})?) (\\S+)$");

    /** Every sample of a scrape, keyed by name and labels exactly as exposed. */
    private static Map<String, Double> samples(String exposition) {
        Map<String, Double> samples = new HashMap<>();
        for (String line : exposition.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.matches()) {
                samples.put(m.group(1), Double.parseDouble(m.group(2)));
            }
        }
        return samples;
    }

    private static boolean counted(WatchdogFixture w, String series) {
        try {
            return scrape(w).containsKey(series);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static Map<String, Double> scrape(WatchdogFixture w) throws IOException, InterruptedException {
        return samples(w.scrape());
    }

    private static HttpResponse<String> send(WatchdogFixture w, String behave, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(w.uri("/some/path?q=1")).header("X-Behave", behave);
        if (body != null) {
            request.POST(HttpRequest.BodyPublishers.ofString(body));
        }
        return w.client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long bytes(HttpResponse<String> response) {
        return response.body().getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void countsEveryOutcomeWithOfWatchdogsNamesAndLabels() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "sh " + function("behave.sh"),
                "max_inflight", "1", "exec_timeout", "2s"))) {
            long out = 0;
            HttpResponse<String> get = send(w, "ok", null);
            HttpResponse<String> post = send(w, "ok", "hello");
            HttpResponse<String> failed = send(w, "fail", "in");
            HttpResponse<String> crashed = send(w, "crash", null);
            HttpResponse<String> timedOut = send(w, "sleep", null);
            assertThat(List.of(get.statusCode(), post.statusCode(), failed.statusCode(), crashed.statusCode(),
                    timedOut.statusCode())).containsExactly(200, 200, 500, 500, 504);
            out += bytes(get) + bytes(post) + bytes(failed) + bytes(crashed) + bytes(timedOut);
            try (RawConnection held = w.connect()) {
                held.send("POST / HTTP/1.1\r\nHost: x\r\nX-Behave: hold\r\nX-Pid-File: " + w.tmp.resolve("held.pid")
                        + "\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n");
                Processes.awaitPid(w.tmp.resolve("held.pid"));
                HttpResponse<String> rejected = send(w, "ok", null);
                assertThat(rejected.statusCode()).isEqualTo(429);
                out += bytes(rejected);
                held.send("0\r\n\r\n");
                RawConnection.Response released = held.readResponse();
                assertThat(released.text()).isEqualTo("released\n");
                out += released.text().length();
            }
            assertThat(w.get("/_/health").statusCode()).isEqualTo(200);
            assertThat(w.get("/_/ready").statusCode()).isEqualTo(200);
            // A process's exit is counted when it is reaped, which may be just after its response left.
            Processes.await(Duration.ofSeconds(20), () -> exits(w) == 6);

            Map<String, Double> s = scrape(w);

            assertThat(s).containsEntry("http_requests_total{code=\"200\",method=\"get\"}", 1.0)
                    .containsEntry("http_requests_total{code=\"200\",method=\"post\"}", 2.0)
                    .containsEntry("http_requests_total{code=\"500\",method=\"post\"}", 1.0)
                    .containsEntry("http_requests_total{code=\"500\",method=\"get\"}", 1.0)
                    .containsEntry("http_requests_total{code=\"504\",method=\"get\"}", 1.0)
                    .containsEntry("http_requests_total{code=\"429\",method=\"get\"}", 1.0)
                    .containsEntry("http_request_duration_seconds_count{code=\"200\",method=\"post\"}", 2.0)
                    .containsEntry("http_request_duration_seconds_count{code=\"504\",method=\"get\"}", 1.0)
                    .containsEntry("http_request_duration_seconds_bucket{code=\"504\",method=\"get\",le=\"1.0\"}", 0.0)
                    .containsEntry("http_request_duration_seconds_bucket{code=\"504\",method=\"get\",le=\"2.5\"}", 1.0)
                    .containsEntry("http_requests_in_flight", 0.0)
                    .containsEntry("fwatchdog_requests_rejected_total{reason=\"max_inflight\"}", 1.0)
                    .containsEntry("fwatchdog_requests_rejected_total{reason=\"queue_timeout\"}", 0.0)
                    .containsEntry("fwatchdog_function_process_starts_total", 6.0)
                    .containsEntry("fwatchdog_function_process_start_failures_total", 0.0)
                    .containsEntry("fwatchdog_function_process_exits_total{reason=\"ok\"}", 3.0)
                    .containsEntry("fwatchdog_function_process_exits_total{reason=\"error\"}", 1.0)
                    .containsEntry("fwatchdog_function_process_exits_total{reason=\"crashed\"}", 1.0)
                    .containsEntry("fwatchdog_function_process_exits_total{reason=\"timeout\"}", 1.0)
                    .containsEntry("fwatchdog_function_process_exits_total{reason=\"killed\"}", 0.0)
                    .containsEntry("fwatchdog_request_body_bytes_total", 8.0)
                    .containsEntry("fwatchdog_response_body_bytes_total", (double) out);
            assertThat(s.keySet().stream().filter(k -> k.startsWith("http_requests_total"))).hasSize(6);
        }
    }

    private static double exits(WatchdogFixture w) {
        try {
            return scrape(w).entrySet().stream().filter(e -> e.getKey().startsWith("fwatchdog_function_process_exits_total"))
                    .mapToDouble(Map.Entry::getValue).sum();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void histogramHasOfWatchdogsBucketsAndNoOthers() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "cat"))) {
            assertThat(w.post("/", "x").statusCode()).isEqualTo(200);

            String exposition = w.scrape();

            var bounds = new TreeSet<String>();
            Matcher m = Pattern.compile("http_request_duration_seconds_bucket\\{code=\"200\",method=\"post\",le=\"([^\"]+)\"}")
                    .matcher(exposition);
            while (m.find()) {
                bounds.add(m.group(1));
            }
            assertThat(bounds).containsExactlyInAnyOrder("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
                    "1.0", "2.5", "5.0", "10.0", "+Inf");
            assertThat(exposition).contains("# TYPE http_request_duration_seconds histogram")
                    .contains("# TYPE http_requests_total counter")
                    .contains("# TYPE http_requests_in_flight gauge");
        }
    }

    @Test
    void countsA413FromTheWatchdogWithoutStartingAProcess() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("mode", "serializing", "fprocess", "cat",
                        "max_body_size", "16"));
                RawConnection c = w.connect()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(413);

            assertThat(scrape(w)).containsEntry("http_requests_total{code=\"413\",method=\"post\"}", 1.0)
                    .containsEntry("fwatchdog_function_process_starts_total", 0.0);
        }
    }

    @Test
    void countsAFunctionThatCannotBeStarted() throws Exception {
        Path dir = Files.createTempDirectory("fwatchdog-vanishing");
        Path executable = Files.copy(Path.of("/bin/true"), dir.resolve("vanishing"));
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", executable.toString()))) {
            Files.delete(executable);

            assertThat(w.get("/").statusCode()).isEqualTo(500);

            assertThat(scrape(w)).containsEntry("fwatchdog_function_process_start_failures_total", 1.0)
                    .containsEntry("fwatchdog_function_process_starts_total", 0.0)
                    .containsEntry("http_requests_total{code=\"500\",method=\"get\"}", 1.0);
        } finally {
            Files.delete(dir);
        }
    }

    @Test
    void countsAnUnknownMethodAsOther() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "cat"));
                RawConnection c = w.connect()) {
            c.send("BREW /pot HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);

            assertThat(scrape(w)).containsEntry("http_requests_total{code=\"200\",method=\"other\"}", 1.0);
        }
    }

    @Test
    void showsQueueDepthAndInFlightWhileRequestsWait() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "sh " + function("behave.sh"),
                        "max_inflight", "1", "max_queue", "1", "exec_timeout", "60s"));
                RawConnection first = w.connect();
                RawConnection second = w.connect()) {
            String hold = "POST / HTTP/1.1\r\nHost: x\r\nX-Behave: hold\r\nX-Pid-File: %s\r\nTransfer-Encoding: chunked\r\n\r\n";
            first.send(hold.formatted(w.tmp.resolve("1.pid")));
            Processes.awaitPid(w.tmp.resolve("1.pid"));
            second.send(hold.formatted(w.tmp.resolve("2.pid")));
            Processes.await(Duration.ofSeconds(10), () -> w.watchdog.queued() == 1);

            assertThat(scrape(w)).containsEntry("fwatchdog_queue_depth", 1.0)
                    .containsEntry("http_requests_in_flight", 2.0)
                    .containsEntry("fwatchdog_queue_wait_seconds_count", 0.0);
            first.send("0\r\n\r\n");
            assertThat(first.readResponse().status()).isEqualTo(200);
            second.send("0\r\n\r\n");
            assertThat(second.readResponse().status()).isEqualTo(200);
            assertThat(scrape(w)).containsEntry("fwatchdog_queue_depth", 0.0)
                    .containsEntry("http_requests_in_flight", 0.0)
                    .containsEntry("fwatchdog_queue_wait_seconds_count", 1.0);
        }
    }

    @Test
    void countsAQueueTimeoutAs503Rejection() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "sh " + function("ignore-term.sh"),
                        "max_inflight", "1", "max_queue", "1", "exec_timeout", "1s"));
                RawConnection first = w.connect()) {
            first.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n");
            Processes.await(Duration.ofSeconds(10), () -> w.watchdog.inflight() == 1);

            assertThat(w.post("/", "x").statusCode()).isEqualTo(503);
            assertThat(first.readResponse().status()).isEqualTo(504);
            // The client can read the 504 before the exchange has finished and been counted.
            Processes.await(Duration.ofSeconds(10), () -> counted(w, "http_requests_total{code=\"504\",method=\"post\"}"));

            assertThat(scrape(w)).containsEntry("fwatchdog_requests_rejected_total{reason=\"queue_timeout\"}", 1.0)
                    .containsEntry("http_requests_total{code=\"503\",method=\"post\"}", 1.0)
                    .containsEntry("http_requests_total{code=\"504\",method=\"post\"}", 1.0)
                    .containsEntry("fwatchdog_queue_wait_seconds_count", 1.0);
        }
    }

    @Test
    void countsAProcessEndedBecauseTheClientLeftAsKilled() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "sh " + function("behave.sh")))) {
            try (RawConnection c = w.connect()) {
                c.send("POST / HTTP/1.1\r\nHost: x\r\nX-Behave: hold\r\nX-Pid-File: " + w.tmp.resolve("1.pid")
                        + "\r\nTransfer-Encoding: chunked\r\n\r\n");
                Processes.awaitPid(w.tmp.resolve("1.pid"));
            }

            Processes.await(Duration.ofSeconds(20), () -> exits(w) == 1);
            assertThat(scrape(w)).containsEntry("fwatchdog_function_process_exits_total{reason=\"killed\"}", 1.0);
        }
    }

    @Test
    void exposesJvmAndProcessBasics() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "cat"))) {
            Map<String, Double> s = scrape(w);

            assertThat(s.keySet()).anySatisfy(k -> assertThat(k).startsWith("jvm_memory_used_bytes{area=\"heap\""))
                    .contains("jvm_threads_current", "process_resident_memory_bytes", "process_open_fds",
                            "fwatchdog_log_lines_dropped_total");
            assertThat(s.get("process_open_fds")).isPositive();
        }
    }

    @Test
    void closesTheMetricsListenerAtShutdown() throws Exception {
        int port;
        try (var w = WatchdogFixture.startWithMetrics(Map.of("fprocess", "cat"))) {
            port = w.watchdog.metricsPort();
            assertThat(port).isPositive();
        }

        assertThat(listening(port)).as("something accepts on the metrics port").isFalse();
    }

    /**
     * Whether a listener accepts on {@code port} of the loopback address. A connect that the
     * kernel pairs with itself (its own ephemeral port happened to be {@code port}, which the
     * closed listener just gave back) found no listener either.
     */
    private static boolean listening(int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            return socket.getLocalPort() != port;
        } catch (ConnectException refused) {
            return false;
        }
    }

    @Test
    void metricsPortZeroServesNoMetrics() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat"))) {
            assertThat(w.watchdog.metricsPort()).isZero();
        }
    }
}
