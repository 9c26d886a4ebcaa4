package io.fwatchdog.mode.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fwatchdog.testing.WatchdogFixture;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An upstream port that already accepts connections before the watchdog started its own
 * upstream belongs to some other process, such as the upstream of a watchdog that was killed:
 * trusting it would make the watchdog ready in front of a process it does not run.
 */
class UpstreamPortTakenTest {

    @Test
    void refusesToStartWhenAnotherProcessHoldsTheUpstreamPortBeforeFprocessStarts() throws Exception {
        Path marker = Files.createTempDirectory("port-taken").resolve("ran");
        try (ServerSocket leftover = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String url = "http://127.0.0.1:" + leftover.getLocalPort();

            assertThatThrownBy(() -> WatchdogFixture.start(Map.of("mode", "http", "upstream_url", url,
                    "fprocess", "touch " + marker)).close())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("upstream_url " + url + " already accepts connections before fprocess started:"
                            + " another process holds the port (a leftover upstream?)");
            assertThat(marker).as("fprocess never ran").doesNotExist();
        }
    }
}
