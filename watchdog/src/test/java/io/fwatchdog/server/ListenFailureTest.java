package io.fwatchdog.server;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.config.Config;
import io.fwatchdog.log.Log;
import io.fwatchdog.testing.Processes;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A port or metrics port that is taken ends start-up with a message and exit 1, and takes the function's processes with it. */
class ListenFailureTest {
    @TempDir
    Path tmp;

    @Test
    void aTakenPortExitsWithAMessageAndLeavesNoFunctionProcessBehind() throws Exception {
        // The loop ignores a second argument: it marks this test's processes in /proc.
        String marker = "listen-failure-" + UUID.randomUUID();
        String loop = "python3 " + function("afterburn/loop.py") + " " + function("afterburn/handler.py") + " " + marker;
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
            Config config = Config.parse(Map.of("PATH", System.getenv("PATH"), "TMPDIR", tmp.toString(),
                    "port", String.valueOf(taken.getLocalPort()), "metrics_port", "0", "mode", "afterburn",
                    "min_workers", "2", "workers", "2", "fprocess", loop));
            var log = new ByteArrayOutputStream();

            assertThat(run(config, log)).isEqualTo(1);
            assertThat(log.toString(StandardCharsets.UTF_8))
                    .contains("cannot listen on port " + taken.getLocalPort())
                    .doesNotContain("\tat io.netty");
        }
        Processes.await(Duration.ofSeconds(20), () -> running(marker).isEmpty());
    }

    @Test
    void aTakenMetricsPortExitsWithAMessageNamingMetricsPort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
            Config config = Config.parse(Map.of("PATH", System.getenv("PATH"), "TMPDIR", tmp.toString(),
                    "port", "0", "metrics_port", String.valueOf(taken.getLocalPort()), "fprocess", "cat"));
            var log = new ByteArrayOutputStream();

            assertThat(run(config, log)).isEqualTo(1);
            assertThat(log.toString(StandardCharsets.UTF_8))
                    .contains("cannot listen on metrics_port " + taken.getLocalPort())
                    .contains("or 0 to disable metrics");
            assertThat(tmp.resolve(".lock")).doesNotExist();
        }
    }

    /** Runs the watchdog as {@code main} would, its log captured into {@code log}; its exit status. */
    private static int run(Config config, ByteArrayOutputStream log) {
        Log.to(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            int status = Watchdog.run(config);
            Log.flush();
            return status;
        } finally {
            Log.to(System.err);
        }
    }

    /** Processes (not zombies) whose command line holds {@code marker}. */
    private static List<String> running(String marker) {
        List<String> found = new ArrayList<>();
        File[] entries = new File("/proc").listFiles((dir, name) -> name.chars().allMatch(Character::isDigit));
        for (File entry : entries == null ? new File[0] : entries) {
            try {
                String cmdline = Files.readString(entry.toPath().resolve("cmdline"), StandardCharsets.ISO_8859_1);
                String stat = Files.readString(entry.toPath().resolve("stat"));
                char state = stat.charAt(stat.lastIndexOf(')') + 2);
                if (cmdline.contains(marker) && state != 'Z') {
                    found.add(entry.getName());
                }
            } catch (IOException gone) {
                // ended while being looked at
            }
        }
        return found;
    }
}
