package io.fwatchdog.server;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.config.Config;
import io.fwatchdog.log.Log;
import io.fwatchdog.testing.Processes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A port that is taken ends start-up with a message and exit 1, and takes the function's processes with it. */
class ListenFailureTest {
    @TempDir
    Path tmp;

    @Test
    void aTakenPortExitsWithAMessageAndLeavesNoFunctionProcessBehind() throws Exception {
        String loop = "python3 " + function("afterburn/loop.py") + " " + function("afterburn/handler.py");
        Set<Long> before = children();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
            Config config = Config.parse(Map.of("PATH", System.getenv("PATH"), "TMPDIR", tmp.toString(),
                    "port", String.valueOf(taken.getLocalPort()), "metrics_port", "0", "mode", "afterburn",
                    "min_workers", "2", "workers", "2", "fprocess", loop));
            var captured = new ByteArrayOutputStream();
            int status;
            Log.to(new PrintStream(captured, true, StandardCharsets.UTF_8));
            try {
                status = Watchdog.run(config);
                Log.flush();
            } finally {
                Log.to(System.err);
            }

            assertThat(status).isEqualTo(1);
            assertThat(captured.toString(StandardCharsets.UTF_8))
                    .contains("cannot listen on port " + taken.getLocalPort())
                    .doesNotContain("\tat io.netty");
        }
        // Other tests' processes may still be ending; only those this start made count.
        Processes.await(Duration.ofSeconds(20), () -> before.containsAll(children()));
    }

    private static Set<Long> children() {
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive).map(ProcessHandle::pid)
                .collect(Collectors.toSet());
    }
}
