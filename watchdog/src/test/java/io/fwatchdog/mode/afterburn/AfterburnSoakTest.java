package io.fwatchdog.mode.afterburn;

import static io.fwatchdog.mode.afterburn.Afterburn.PYTHON_LOOP;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * 100 000 sequential requests, a failing one every thousand and a recycled process every ten
 * thousand, leave no process, thread or file descriptor behind. The watchdog runs in this JVM,
 * so its descriptors and threads are this process's.
 */
class AfterburnSoakTest {
    private static final int REQUESTS = 100_000;

    @Test
    void manySequentialRequestsLeakNothing() throws Exception {
        try (var w = Afterburn.start(PYTHON_LOOP, "max_requests", "10000"); RawConnection c = w.connect()) {
            exchange(c, 2_000);
            Resources before = Resources.now();

            int failed = exchange(c, REQUESTS);

            assertThat(failed).isEqualTo(REQUESTS / 1000);
            // Threads of the I/O pool outlive their last task by a minute; allow for a few.
            Processes.await(Duration.ofSeconds(30), () -> {
                Resources after = Resources.now();
                return after.children == before.children && after.descriptors <= before.descriptors
                        && after.threads <= before.threads + 4;
            });
        }
    }

    /** Sends {@code count} requests one at a time on {@code c}; returns how many got a 500. */
    private static int exchange(RawConnection c, int count) throws IOException {
        int failed = 0;
        for (int i = 1; i <= count; i++) {
            boolean fail = i % 1000 == 0;
            String body = "request " + i;
            c.send((fail ? "POST /raise" : "POST /echo") + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body);
            RawConnection.Response response = c.readResponse();
            if (fail) {
                assertThat(response.status()).isEqualTo(500);
                failed++;
            } else {
                assertThat(response.text()).isEqualTo(body);
            }
        }
        return failed;
    }

    private record Resources(long descriptors, long threads, long children) {
        static Resources now() {
            try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"));
                    Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
                return new Resources(fds.count(), tasks.count(),
                        ProcessHandle.current().children().filter(ProcessHandle::isAlive).count());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
