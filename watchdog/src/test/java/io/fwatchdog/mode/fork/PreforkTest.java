package io.fwatchdog.mode.fork;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.WatchdogFixture;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** prefork=N: processes started ahead of requests, replaced after use and after dying idle. */
class PreforkTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    /** Finds this test's function processes among the watchdog's (this JVM's) children. */
    private final String marker = "prefork-" + UUID.randomUUID();

    private Map<String, String> settings(String mode, int prefork, String... more) {
        Map<String, String> settings = new HashMap<>(Map.of("mode", mode, "prefork", String.valueOf(prefork),
                "cgi_headers", "false", "fprocess", "sh " + function("pid-echo.sh") + " " + marker));
        for (int i = 0; i < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        return settings;
    }

    /** Live (not zombie) children of the watchdog running this test's function. */
    private Set<Long> functionPids() {
        return ProcessHandle.current().children()
                .filter(p -> p.info().arguments().map(args -> List.of(args).contains(marker)).orElse(false))
                .map(ProcessHandle::pid)
                .collect(Collectors.toSet());
    }

    private static long servedBy(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Long.parseLong(response.body().lines().findFirst().orElseThrow());
    }

    @ParameterizedTest
    @ValueSource(strings = {"streaming", "serializing"})
    void servesARequestWithAProcessStartedBeforeIt(String mode) throws Exception {
        try (var w = WatchdogFixture.start(settings(mode, 3))) {
            Processes.await(DEADLINE, () -> functionPids().size() == 3);
            Set<Long> waiting = functionPids();

            HttpResponse<String> response = w.post("/", "body");

            assertThat(waiting).contains(servedBy(response));
            assertThat(response.body()).endsWith("\nbody");
        }
    }

    @Test
    void replacesATakenProcessInTheBackground() throws Exception {
        try (var w = WatchdogFixture.start(settings("serializing", 2))) {
            Processes.await(DEADLINE, () -> functionPids().size() == 2);

            long used = servedBy(w.post("/", "x"));

            Processes.await(DEADLINE, () -> {
                Set<Long> now = functionPids();
                return now.size() == 2 && !now.contains(used);
            });
        }
    }

    @Test
    void theFirstRequestAfterABurstTakesARefilledProcess() throws Exception {
        try (var w = WatchdogFixture.start(settings("serializing", 4))) {
            Processes.await(DEADLINE, () -> functionPids().size() == 4);
            List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                burst.add(w.client.sendAsync(java.net.http.HttpRequest.newBuilder(w.uri("/"))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("burst")).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (var response : burst) {
                assertThat(response.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            Processes.await(DEADLINE, () -> functionPids().size() == 4);
            Set<Long> refilled = functionPids();

            assertThat(refilled).contains(servedBy(w.post("/", "after")));
        }
    }

    @Test
    void replacesAProcessThatDiesWhileWaitingAndNoRequestNotices() throws Exception {
        try (var w = WatchdogFixture.start(settings("streaming", 3))) {
            Processes.await(DEADLINE, () -> functionPids().size() == 3);
            Set<Long> killed = functionPids();

            for (long pid : killed) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            Processes.await(DEADLINE, () -> killed.stream().noneMatch(
                    pid -> ProcessHandle.of(pid).isPresent()));
            for (int i = 0; i < 10; i++) {
                assertThat(killed).doesNotContain(servedBy(w.post("/", "after " + i)));
            }
            Processes.await(DEADLINE, () -> {
                Set<Long> now = functionPids();
                return now.size() == 3 && now.stream().noneMatch(killed::contains);
            });
        }
    }

    @Test
    void backsOffWhenTheFunctionExitsAtOnce() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(Map.of("mode", "serializing", "prefork", "2",
                "cgi_headers", "false", "fprocess", "sh -c 'exit 3'"))) {
            Processes.await(DEADLINE, () -> starts(w) >= 4);
            double before = starts(w);
            long from = System.nanoTime();
            Thread.sleep(3000);
            double during = starts(w) - before;
            double seconds = (System.nanoTime() - from) / 1e9;

            // Without backoff, one core restarts `sh -c 'exit 3'` hundreds of times a second.
            assertThat(during / seconds).as("starts per second while crash-looping").isLessThan(5);
            HttpResponse<String> response = w.get("/");
            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.body()).contains("function exited with status 3");
        }
    }

    @Test
    void countsPreforkedProcessesAsStartsAndTheirExitsByReason() throws Exception {
        try (var w = WatchdogFixture.startWithMetrics(settings("serializing", 2))) {
            for (int i = 0; i < 5; i++) {
                servedBy(w.post("/", "x"));
            }

            // 5 served, and 2 started after them to wait for the next requests.
            Processes.await(DEADLINE, () -> starts(w) == 7 && functionPids().size() == 2);
            assertThat(sample(w, "fwatchdog_function_process_exits_total\\{reason=\"ok\"\\}")).isEqualTo(5);
            assertThat(sample(w, "fwatchdog_function_process_start_failures_total")).isZero();
        }
    }

    private static double starts(WatchdogFixture w) {
        return sample(w, "fwatchdog_function_process_starts_total");
    }

    private static double sample(WatchdogFixture w, String series) {
        try {
            Matcher m = Pattern.compile("^" + series + " (\\S+)$", Pattern.MULTILINE).matcher(w.scrape());
            return m.find() ? Double.parseDouble(m.group(1)) : 0;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void shutdownEndsTheWaitingProcesses() throws Exception {
        Set<Long> waiting;
        try (var w = WatchdogFixture.start(settings("streaming", 4))) {
            Processes.await(DEADLINE, () -> functionPids().size() == 4);
            waiting = functionPids();
        }

        Processes.await(DEADLINE, () -> waiting.stream().noneMatch(Processes::exists));
        assertThat(functionPids()).isEmpty();
    }
}
