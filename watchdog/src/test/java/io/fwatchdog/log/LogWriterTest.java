package io.fwatchdog.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class LogWriterTest {

    /** An output that takes nothing until {@link #release}: a log consumer that stopped reading. */
    private static final class BlockingOutput extends OutputStream {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch released = new CountDownLatch(1);
        final ByteArrayOutputStream taken = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            entered.countDown();
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (this) {
                taken.write(b, off, len);
            }
        }

        void release() {
            released.countDown();
        }

        synchronized List<String> lines() {
            return taken.toString(StandardCharsets.UTF_8).lines().toList();
        }
    }

    /** A watchdog line whose {@link Line#weight()} is exactly 100. */
    private static Line line(int n) {
        String text = "line %031d".formatted(n);
        return Line.watchdog(Line.Level.INFO, text);
    }

    @Test
    void dropsAndCountsInsteadOfBlockingWhenTheOutputBlocks() throws Exception {
        var output = new BlockingOutput();
        var writer = new LogWriter(new PrintStream(output, false, StandardCharsets.UTF_8), 1000, new TextFormat(false));
        writer.submit(line(0));
        output.entered.await(); // the writer thread is stuck in its first write

        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (int i = 1; i <= 100; i++) {
                writer.submit(line(i));
            }
        });

        assertThat(line(1).weight()).isEqualTo(100);
        assertThat(writer.dropped()).as("ten lines fit in a buffer of 1000").isEqualTo(90);
        output.release();
        assertThat(writer.flush(10_000)).isTrue();
        List<String> lines = output.lines();
        assertThat(lines).hasSize(12);
        for (int i = 0; i <= 10; i++) {
            assertThat(lines.get(i)).endsWith("line %031d".formatted(i));
        }
        assertThat(lines.get(11)).contains("warning: log: 90 lines dropped");
    }

    @Test
    void writesWholeLinesFromConcurrentProducers() throws Exception {
        var captured = new ByteArrayOutputStream();
        var writer = new LogWriter(new PrintStream(captured, false, StandardCharsets.UTF_8), Log.MAX_PENDING,
                new TextFormat(false));
        List<Thread> producers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            String name = "producer" + t;
            producers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 2000; i++) {
                    writer.submit(new Line(System.currentTimeMillis(), Line.Level.INFO, "stderr",
                            name + " " + "x".repeat(i % 300) + " end", false, null, 0, 0, 0, null, 0));
                }
            }));
        }
        for (Thread producer : producers) {
            producer.join();
        }
        assertThat(writer.flush(10_000)).isTrue();

        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(writer.dropped()).isZero();
        assertThat(lines).hasSize(8000).allMatch(l -> l.matches("producer\\d x* end"));
    }
}
