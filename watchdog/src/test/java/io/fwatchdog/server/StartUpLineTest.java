package io.fwatchdog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.WatchdogProcess;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The line a user reads first says where both listeners are. */
class StartUpLineTest {

    @Test
    void namesTheMetricsPort() throws Exception {
        int metricsPort;
        try (var probe = new ServerSocket(0)) {
            metricsPort = probe.getLocalPort();
        }
        try (var w = WatchdogProcess.start(List.of(), Map.of("metrics_port", String.valueOf(metricsPort)),
                "--port", "0", "--", "cat")) {
            w.awaitOutput("function: cat", Duration.ofSeconds(60));

            assertThat(w.output()).contains("listening on port " + w.port() + ", metrics on port " + metricsPort
                    + ", function: cat");
        }
    }

    @Test
    void saysMetricsAreOffWithMetricsPortZero() throws Exception {
        try (var w = WatchdogProcess.start(List.of(), Map.of("metrics_port", "0"), "--port", "0", "--", "cat")) {
            w.awaitOutput("function: cat", Duration.ofSeconds(60));

            assertThat(w.output()).contains("listening on port " + w.port() + ", metrics off, function: cat");
        }
    }
}
