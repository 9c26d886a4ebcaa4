package io.fwatchdog.mode.http;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.OperatingSystemMXBean;
import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.WatchdogFixture;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** An http-mode upstream that keeps exiting the moment it starts. */
class HostileUpstreamTest {

    @Test
    void backsOffRestartingAnUpstreamThatExitsAtOnceWhileHealthStays503AndNothingSpins() throws Exception {
        Path marker = Files.createTempDirectory("exit-at-once").resolve("marked");
        int port = HttpModeTest.freePort();
        try (var w = WatchdogFixture.startWithMetrics(Map.of("mode", "http", "upstream_url", "http://127.0.0.1:" + port,
                "fprocess", "sh " + function("exit-when-marked.sh") + " " + marker + " " + port))) {
            Files.createFile(marker);
            // The running upstream exits cleanly; every restart from here on exits 0 at once.
            w.get("/exit?code=0");
            Processes.await(Duration.ofSeconds(20), () -> restarts(w) >= 1);

            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            double restartsBefore = restarts(w);
            long cpuBefore = os.getProcessCpuTime();
            long wallBefore = System.nanoTime();
            Set<Integer> health = new HashSet<>();
            while (System.nanoTime() - wallBefore < TimeUnit.SECONDS.toNanos(8)) {
                health.add(w.get("/_/health").statusCode());
                Thread.sleep(200);
            }
            long cpu = os.getProcessCpuTime() - cpuBefore;
            long wall = System.nanoTime() - wallBefore;
            double restartsDuring = restarts(w) - restartsBefore;

            assertThat(health).as("health while the upstream cannot stay up").containsExactly(503);
            // Doubling from 100 ms, at most a handful of restarts fit in 8 s; a loop without back-off makes thousands.
            assertThat(restartsDuring).as("restarts in 8 s").isBetween(1.0, 8.0);
            // A spinning loop burns a core; this JVM (watchdog and test together) stays far below.
            assertThat((double) cpu / wall).as("share of a core used").isLessThan(0.5);
            assertThat(w.tmp.resolve(".lock")).doesNotExist();
        }
    }

    private static double restarts(WatchdogFixture w) {
        try {
            return w.scrape().lines()
                    .filter(line -> line.startsWith("fwatchdog_upstream_restarts_total "))
                    .mapToDouble(line -> Double.parseDouble(line.substring(line.indexOf(' ') + 1)))
                    .findFirst()
                    .orElse(0);
        } catch (Exception e) {
            return -1;
        }
    }
}
