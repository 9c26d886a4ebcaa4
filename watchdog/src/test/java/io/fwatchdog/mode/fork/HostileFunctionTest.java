package io.fwatchdog.mode.fork;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.log.Log;
import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Functions that misbehave on purpose: a (bounded) fork bomb, one that closes its stdout and
 * lives on, one that never reads a huge body, one that floods stderr. Each request still ends as
 * the contract says, and nothing the function started outlives it.
 */
class HostileFunctionTest {
    private static final ByteBufAllocatorMetric MEMORY = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();

    @Test
    void endsEveryProcessOfABoundedForkBombOnTimeout() throws Exception {
        Path pids = Files.createTempDirectory("fork-bomb");
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("fork-bomb.sh") + " " + pids + " 5",
                "exec_timeout", "4s"))) {
            try {
                HttpResponse<String> response = w.get("/");

                assertThat(response.statusCode()).isEqualTo(504);
                List<Long> started = recorded(pids);
                assertThat(started).as("processes the bomb started").hasSizeGreaterThan(1);
                Processes.await(Duration.ofSeconds(20), () -> started.stream().noneMatch(Processes::exists));
            } finally {
                recorded(pids).forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            }
        }
    }

    @Test
    void endsTheResponseAtExecTimeoutWhenAProcessTheFunctionLeftHoldsItsStdout() throws Exception {
        Path pidFile = Files.createTempDirectory("holds-stdout").resolve("pid");
        long leftover = -1;
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("holds_stdout.sh") + " " + pidFile,
                "exec_timeout", "1s")); RawConnection c = w.connect()) {
            RawConnection.Response response = c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
            leftover = Processes.awaitPid(pidFile);

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.text()).isEqualTo("started\n");
            assertThat(response.complete()).as("cut at exec_timeout, not ended by the leftover").isFalse();
        } finally {
            ProcessHandle.of(leftover).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void answers504AtExecTimeoutWhenAProcessTheFunctionLeftHoldsItsStdoutInSerializingMode() throws Exception {
        Path pidFile = Files.createTempDirectory("holds-stdout").resolve("pid");
        try (var w = WatchdogFixture.start(Map.of("mode", "serializing",
                "fprocess", "sh " + function("holds_stdout.sh") + " " + pidFile, "exec_timeout", "1s"))) {
            HttpResponse<String> response = w.get("/");

            assertThat(response.statusCode()).isEqualTo(504);
            assertThat(response.body()).contains("exec_timeout", "left behind");
        } finally {
            ProcessHandle.of(Processes.awaitPid(pidFile)).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void answers504AndEndsAFunctionThatClosesStdoutButKeepsRunning() throws Exception {
        for (String mode : new String[] {"streaming", "serializing"}) {
            Path pidFile = Files.createTempDirectory("closed-stdout").resolve("pid");
            try (var w = WatchdogFixture.start(Map.of("mode", mode, "fprocess", "sh " + function("close-stdout.sh") + " " + pidFile,
                    "exec_timeout", "1s"))) {
                HttpResponse<String> response = w.post("/", "unread");

                assertThat(response.statusCode()).as(mode).isEqualTo(504);
                long pid = Processes.awaitPid(pidFile);
                Processes.await(Duration.ofSeconds(20), () -> !Processes.exists(pid));
            }
        }
    }

    @Test
    void answers504ToAGibibyteUploadThatTheFunctionNeverReadsWithoutBufferingIt() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sleep 300", "exec_timeout", "3s"));
                RawConnection c = w.connect()) {
            long before = used();
            AtomicLong peak = new AtomicLong();
            AtomicLong sent = new AtomicLong();
            c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + (1L << 30) + "\r\n\r\n");
            CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
                byte[] piece = new byte[64 * 1024];
                try {
                    while (sent.get() < 1L << 30) {
                        c.send(piece);
                        sent.addAndGet(piece.length);
                        peak.accumulateAndGet(used(), Math::max);
                    }
                } catch (IOException closed) {
                    // the watchdog answered and closed the connection
                }
            });

            RawConnection.Response response = c.readResponse();
            upload.get(60, TimeUnit.SECONDS);

            assertThat(response.status()).isEqualTo(504);
            assertThat(c.closedByServer()).as("the unread rest of the body ends the connection").isTrue();
            assertThat(sent.get()).as("the upload stalled instead of being buffered").isLessThan(64L << 20);
            assertThat(peak.get() - before).as("buffer memory during the upload").isLessThan(32L << 20);
        }
    }

    @Test
    void finishesARequestWhoseFunctionWritesAGibibyteToStderr() throws Exception {
        AtomicLong logged = new AtomicLong();
        long droppedBefore = Log.dropped();
        Log.to(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                logged.incrementAndGet();
            }

            @Override
            public void write(byte[] b, int off, int len) {
                logged.addAndGet(len);
            }
        }, false, StandardCharsets.UTF_8));
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh -c \"head -c 1073741824 /dev/zero >&2; echo done\"",
                "exec_timeout", "120s"))) {
            HttpResponse<String> response = w.get("/");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("done\n");
            Log.flush();
            // Lines the writer could not keep up with are dropped and counted, never waited for.
            assertThat(logged.get() + (Log.dropped() - droppedBefore) * 65536).isGreaterThanOrEqualTo(1L << 30);
        } finally {
            Log.to(System.err);
        }
    }

    private static long used() {
        return MEMORY.usedDirectMemory() + MEMORY.usedHeapMemory();
    }

    private static List<Long> recorded(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> Long.parseLong(f.getFileName().toString())).toList();
        }
    }
}
