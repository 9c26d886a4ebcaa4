package io.fwatchdog.server;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fwatchdog.config.Config;
import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import io.fwatchdog.testing.WatchdogProcess;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ShutdownTest {

    @Test
    void writesTheLockFileOnceListeningAndRemovesItAtShutdown() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat"))) {
            Path lock = w.tmp.resolve(".lock");
            assertThat(lock).exists();

            w.watchdog.shutdown();
            w.watchdog.awaitTermination();

            assertThat(lock).doesNotExist();
        }
    }

    @Test
    void suppressLockLeavesNoFileButHealthStillWorks() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat", "suppress_lock", "true"))) {
            assertThat(w.tmp.resolve(".lock")).doesNotExist();
            assertThat(w.get("/_/health").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void anUnwritableLockDirectoryIsAnErrorNamingSuppressLock() throws Exception {
        Path file = Files.createTempFile("not-a-directory", "");
        Map<String, String> env = new HashMap<>(Map.of("fprocess", "cat", "port", "0", "metrics_port", "0",
                "TMPDIR", file.toString(), "PATH", System.getenv("PATH")));

        assertThatThrownBy(() -> Watchdog.start(Config.parse(env)))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("suppress_lock");
    }

    @Test
    void aSlowRequestCompletesWhileHealthAlreadyFails() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("hold.sh"),
                        "healthcheck_interval", "30s", "write_timeout", "30s"));
                RawConnection slow = w.connect()) {
            Path pid = w.tmp.resolve("slow.pid");
            slow.send("POST / HTTP/1.1\r\nHost: x\r\nX-Pid-File: " + pid + "\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n");
            Processes.awaitPid(pid);

            w.watchdog.shutdown();
            Processes.await(Duration.ofSeconds(10), () -> status(w, "/_/health") == 503);
            assertThat(w.tmp.resolve(".lock")).doesNotExist();

            slow.send("0\r\n\r\n");
            RawConnection.Response response = slow.readResponse();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.text()).isEqualTo("released\n");
        }
    }

    @Test
    void drainsInFlightRequestsBeforeEndingAndExitsZero() throws Exception {
        var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("hold.sh"), "write_timeout", "30s"));
        try (RawConnection slow = w.connect()) {
            Path pid = w.tmp.resolve("slow.pid");
            slow.send("POST / HTTP/1.1\r\nHost: x\r\nX-Pid-File: " + pid + "\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n");
            long function = Processes.awaitPid(pid);

            w.watchdog.shutdown();
            // The listener closes (healthcheck_interval is 0 here) but the function keeps running.
            Processes.await(Duration.ofSeconds(10), () -> !accepts(w.port()));
            assertThat(Processes.exists(function)).isTrue();

            slow.send("0\r\n\r\n");
            assertThat(slow.readResponse().text()).isEqualTo("released\n");
            assertThat(w.watchdog.awaitTermination()).isZero();
        } finally {
            w.close();
        }
    }

    @Test
    void sigtermDrainsAndExitsZeroAsARealProcess() throws Exception {
        try (var w = WatchdogProcess.start(List.of(), Map.of(), "--port", "0", "--", "cat")) {
            w.awaitHealthy();

            assertThat(w.stop(Duration.ofSeconds(30))).isZero();
            assertThat(w.tmp.resolve(".lock")).doesNotExist();
            assertThat(w.output()).contains("shutdown complete");
        }
    }

    @Test
    void aSecondSigtermSkipsALongHealthcheckIntervalAsARealProcess() throws Exception {
        try (var w = WatchdogProcess.start(List.of(), Map.of("healthcheck_interval", "10m"), "--port", "0", "--", "cat")) {
            w.awaitHealthy();

            // The second waits for the first to be seen: the kernel merges a signal into the same
            // one still pending, so two sent back to back may arrive as one.
            w.process.destroy();
            w.awaitOutput("serving for 600s", Duration.ofSeconds(30));
            w.process.destroy();

            assertThat(w.process.waitFor(60, TimeUnit.SECONDS)).as("ended long before healthcheck_interval").isTrue();
            assertThat(w.process.exitValue()).isZero();
            assertThat(w.output()).contains("second shutdown signal").contains("shutdown complete");
        }
    }

    @Test
    void aSecondShutdownRacingTheFirstIsNeverLost() throws Exception {
        // Signal handlers each run on a thread of their own; the barrier lines two calls up as
        // two signals sent together would.
        for (int i = 0; i < 10; i++) {
            try (var w = WatchdogFixture.start(Map.of("fprocess", "cat", "healthcheck_interval", "10m"))) {
                var barrier = new CyclicBarrier(2);
                Runnable signal = () -> {
                    try {
                        barrier.await();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                    w.watchdog.shutdown();
                };
                Thread first = Thread.ofPlatform().start(signal);
                Thread second = Thread.ofPlatform().start(signal);
                first.join();
                second.join();

                var ended = CompletableFuture.supplyAsync(w.watchdog::awaitTermination);
                assertThat(ended).as("round " + i).succeedsWithin(Duration.ofSeconds(30)).isEqualTo(0);
            }
        }
    }

    private static int status(WatchdogFixture w, String path) {
        try {
            return w.get(path).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static boolean accepts(int port) {
        try (var socket = new java.net.Socket("127.0.0.1", port)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
