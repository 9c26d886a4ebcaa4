package io.fwatchdog.mode.afterburn;

import static io.fwatchdog.mode.afterburn.Afterburn.FAULTY;
import static io.fwatchdog.mode.afterburn.Afterburn.PYTHON_LOOP;
import static io.fwatchdog.mode.afterburn.Afterburn.pid;
import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.WatchdogFixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the pool of hot processes grows, queues, shrinks, recycles and recovers. */
class AfterburnPoolTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static CompletableFuture<HttpResponse<String>> async(WatchdogFixture w, String path) {
        return w.client.sendAsync(HttpRequest.newBuilder(w.uri(path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void minWorkersAreRunningBeforeTheWatchdogIsHealthy() throws Exception {
        try (var w = Afterburn.startWithMetrics(PYTHON_LOOP, "workers", "4", "min_workers", "3")) {
            String metrics = w.scrape();

            assertThat(gauge(metrics, "fwatchdog_hot_workers{state=\"idle\"}")).isEqualTo(3);
            assertThat(gauge(metrics, "fwatchdog_hot_workers{state=\"busy\"}")).isZero();
            assertThat(w.tmp.resolve(".lock")).exists();
        }
    }

    @Test
    void requestsBeyondWorkersQueueAndBeyondTheQueueGet429() throws Exception {
        try (var w = Afterburn.start(FAULTY, "workers", "1", "max_queue", "1")) {
            var first = async(w, "/drip");
            Processes.await(WAIT, () -> w.watchdog.inflight() == 1 && w.watchdog.queued() == 0);
            var second = async(w, "/ok");
            Processes.await(WAIT, () -> w.watchdog.queued() == 1);

            HttpResponse<String> third = w.get("/ok");

            assertThat(third.statusCode()).isEqualTo(429);
            assertThat(third.body()).isEqualTo("Concurrent request limit exceeded. Max concurrent requests: 1\n");
            assertThat(first.get().body()).isEqualTo("..........");
            assertThat(second.get().statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aRequestThatWaitsLongerThanExecTimeoutGets503() throws Exception {
        // The dripping response has its head, so exec_timeout no longer applies to it.
        try (var w = Afterburn.start(FAULTY, "workers", "1", "max_queue", "4", "exec_timeout", "3s")) {
            pid(w, "/ok"); // a running process: the dripping response's head comes at once
            var first = async(w, "/drip?ms=600");
            Processes.await(WAIT, () -> w.watchdog.inflight() == 1 && w.watchdog.queued() == 0);

            HttpResponse<String> waited = w.get("/ok");

            assertThat(waited.statusCode()).isEqualTo(503);
            assertThat(waited.body()).contains("exec_timeout (3s)", "workers=1", "max_queue=4");
            assertThat(first.get().statusCode()).isEqualTo(200);
        }
    }

    @Test
    void idleTimeoutStopsSurplusProcessesDownToMinWorkers() throws Exception {
        try (var w = Afterburn.start(PYTHON_LOOP, "workers", "3", "min_workers", "1", "idle_timeout", "1s")) {
            List<Long> pids = IntStream.range(0, 3).mapToObj(i -> async(w, "/slow?ms=3000")).toList().stream()
                    .map(call -> Long.parseLong(call.join().body())).distinct().toList();
            assertThat(pids).hasSize(3);

            Processes.await(WAIT, () -> pids.stream().filter(Processes::exists).count() == 1);

            long survivor = pids.stream().filter(Processes::exists).findFirst().orElseThrow();
            assertThat(pid(w, "/pid")).isEqualTo(survivor);
        }
    }

    @Test
    void maxRequestsRecyclesAProcess() throws Exception {
        try (var w = Afterburn.start(PYTHON_LOOP, "max_requests", "3")) {
            long first = pid(w, "/pid");
            assertThat(pid(w, "/pid")).isEqualTo(first);
            assertThat(pid(w, "/pid")).isEqualTo(first);

            long fourth = pid(w, "/pid");

            assertThat(fourth).isNotEqualTo(first);
            Processes.await(WAIT, () -> !Processes.exists(first));
        }
    }

    @Test
    void aFunctionThatNeverGetsGoingEndsTheWatchdogAfterBackingOff() throws Exception {
        long started = System.nanoTime();
        var w = Afterburn.start("sh -c 'exit 3'");
        try {
            assertThat(w.watchdog.awaitTermination()).isEqualTo(3);

            // Backoff of 100 ms, then 200 ms, between the three starts.
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThan(Duration.ofMillis(300));
        } finally {
            w.close();
        }
    }

    @Test
    void aFunctionThatStartsFailingTurnsUnhealthyBacksOffAndRecovers(@TempDir Path dir) throws Exception {
        Path marker = dir.resolve("broken");
        String command = "sh " + function("afterburn/crashy.sh") + " " + marker + " " + FAULTY;
        try (var w = Afterburn.startWithMetrics(command)) {
            assertThat(w.get("/ok").statusCode()).isEqualTo(200); // it has served: a bad patch, not a bad deployment
            Files.createFile(marker);

            assertThat(w.get("/exit").statusCode()).isEqualTo(502);

            Processes.await(WAIT, () -> health(w) == 503);
            assertThat(w.tmp.resolve(".lock")).doesNotExist();
            long starts = counter(w.scrape(), "fwatchdog_function_process_starts_total");
            long since = System.nanoTime();
            Processes.await(WAIT, () -> counter(scrape(w), "fwatchdog_function_process_starts_total") >= starts + 2);
            // Two more starts are at least two backoff periods apart from here (200 ms, 400 ms, ...).
            assertThat(Duration.ofNanos(System.nanoTime() - since)).isGreaterThan(Duration.ofMillis(250));

            Files.delete(marker);

            Processes.await(WAIT, () -> health(w) == 200);
            assertThat(w.get("/ok").statusCode()).isEqualTo(200);
            assertThat(w.tmp.resolve(".lock")).exists();
        }
    }

    @Test
    void restartPolicyNeverEndsTheWatchdogWithTheProcessStatus() throws Exception {
        var w = Afterburn.start(FAULTY, "restart_policy", "never");
        try {
            assertThat(w.get("/exit").statusCode()).isEqualTo(502);

            assertThat(w.watchdog.awaitTermination()).isEqualTo(5);
        } finally {
            w.close();
        }
    }

    @Test
    void shutdownEndsEveryProcess() throws Exception {
        List<Long> pids;
        try (var w = Afterburn.start(PYTHON_LOOP, "workers", "2", "min_workers", "2")) {
            pids = List.of(async(w, "/slow?ms=2000"), async(w, "/slow?ms=2000")).stream()
                    .map(call -> Long.parseLong(call.join().body())).distinct().toList();
            assertThat(pids).hasSize(2).allMatch(Processes::exists);
        }

        Processes.await(WAIT, () -> pids.stream().noneMatch(Processes::exists));
    }

    private static int health(WatchdogFixture w) {
        try {
            return w.get("/_/health").statusCode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String scrape(WatchdogFixture w) {
        try {
            return w.scrape();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static long gauge(String metrics, String series) {
        return counter(metrics, series);
    }

    static long counter(String metrics, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        if (!m.find()) {
            throw new AssertionError("no " + series + " in:\n" + metrics);
        }
        return (long) Double.parseDouble(m.group(1));
    }
}
