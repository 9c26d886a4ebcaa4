package io.fwatchdog.server;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.WatchdogFixture;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A function's descendant that escaped its process group ({@code setsid}) is out of reach of
 * the signals that end the function; the watchdog still ends it at shutdown, found as a
 * descendant of its own.
 */
class ShutdownLeftoversTest {

    @Test
    void endsAProcessAForkedFunctionLeftInASessionOfItsOwn() throws Exception {
        Path pidFile = Files.createTempDirectory("leftover").resolve("pid");
        long leftover = -1;
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("escape.sh") + " " + pidFile))) {
            assertThat(w.get("/").body()).isEqualTo("started\n");
            leftover = Processes.awaitPid(pidFile);
            assertThat(Processes.exists(leftover)).as("outlives the function").isTrue();

            w.close();

            assertThat(Processes.exists(leftover)).isFalse();
        } finally {
            destroy(leftover);
        }
    }

    @Test
    void endsAProcessAnHttpUpstreamStartedInASessionOfItsOwn() throws Exception {
        Path pidFile = Files.createTempDirectory("leftover").resolve("pid");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        long leftover = -1;
        try (var w = WatchdogFixture.start(Map.of("mode", "http", "upstream_url", "http://127.0.0.1:" + port,
                "fprocess", "sh " + function("escape.sh") + " " + pidFile + " python3 " + function("http_upstream.py") + " " + port))) {
            assertThat(w.get("/status/200").statusCode()).isEqualTo(200);
            leftover = Processes.awaitPid(pidFile);

            w.close();

            assertThat(Processes.exists(leftover)).isFalse();
        } finally {
            destroy(leftover);
        }
    }

    private static void destroy(long pid) {
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
