package io.fwatchdog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.log.Log;
import io.fwatchdog.testing.FnAgent;
import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A listener or an event loop that dies while the watchdog serves: health fails, the lock file
 * goes, and the watchdog ends with status 1, so that the orchestrator restarts it.
 */
@Timeout(60)
class UnexpectedEndTest {
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    @BeforeEach
    void captureLog() {
        Log.to(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreLog() {
        Log.to(System.err);
    }

    private String log() {
        Log.flush();
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aListenerThatClosesRemovesTheLockFileAndEndsTheWatchdogWithStatus1() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat", "healthcheck_interval", "30s"))) {
            Path lock = w.tmp.resolve(".lock");
            assertThat(lock).exists();

            w.watchdog.listener().close();

            Processes.await(Duration.ofSeconds(20), () -> !lock.toFile().exists());
            assertThat(w.watchdog.awaitTermination()).isEqualTo(1);
            assertThat(log()).contains("error: the listener on port " + w.port() + " closed while the watchdog was serving");
        }
    }

    @Test
    void anFnListenerThatClosesEndsTheWatchdogWithStatus1AndRemovesItsLink() throws Exception {
        try (var agent = FnAgent.create()) {
            var env = new java.util.HashMap<>(agent.environment());
            env.putAll(Map.of("fprocess", "cat", "healthcheck_interval", "30s"));
            try (var w = WatchdogFixture.start(env)) {
                agent.awaitListening();

                w.watchdog.fnListenerChannel().orElseThrow().close();

                assertThat(w.watchdog.awaitTermination()).isEqualTo(1);
                assertThat(log()).contains("error: the Fn listener on " + agent.listener + " closed while the watchdog was serving");
                assertThat(agent.listener).doesNotExist();
            }
        }
    }

    @Test
    void anEventLoopThatEndsRemovesTheLockFileAndEndsTheWatchdogWithStatus1() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat", "healthcheck_interval", "30s"))) {
            Path lock = w.tmp.resolve(".lock");
            assertThat(lock).exists();

            w.watchdog.eventLoops().next().shutdownGracefully(0, 0, TimeUnit.SECONDS);

            Processes.await(Duration.ofSeconds(20), () -> !lock.toFile().exists());
            assertThat(w.watchdog.awaitTermination()).isEqualTo(1);
            assertThat(log()).contains("while the watchdog was serving; failing health and exiting with status 1");
        }
    }

    @Test
    void aShutdownIsNotMistakenForADeath() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat"))) {
            w.watchdog.shutdown();

            assertThat(w.watchdog.awaitTermination()).isZero();
            assertThat(log()).doesNotContain("while the watchdog was serving");
        }
    }
}
