package io.fwatchdog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.WatchdogFixture;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The watchdog runs one event loop per processor the JVM may use, not Netty's default of two. */
@Timeout(60)
class EventLoopsTest {
    @Test
    void oneEventLoopPerAvailableProcessor() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat"))) {
            long loops = StreamSupport.stream(w.watchdog.eventLoops().spliterator(), false).count();

            assertThat(loops).isEqualTo(Runtime.getRuntime().availableProcessors());
        }
    }
}
