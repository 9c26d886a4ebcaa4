package io.fwatchdog.log;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The one thread that writes the log, and the bounded buffer in front of it. Producers (event
 * loops, relay threads) never wait for the output: a line that does not fit in the buffer is
 * dropped and counted, and once the writer has caught up it writes one line saying how many
 * were lost. Being the only writer, it writes whole lines only, several per system call when
 * they queue up.
 *
 * <p>Handing a line over costs the producer a queue insertion and, only when the writer is
 * asleep, a wake-up. Once it has written, the writer naps for {@link #NAP_NANOS} before it looks
 * again, so under load lines are collected for a nap's length and written in one call, rather
 * than the writer being woken (a futex call and, on a busy core, a context switch) and making
 * a write per line. A nap with nothing to write puts it to sleep until the next line.
 */
final class LogWriter {
    /** Most bytes handed to the output in one write. */
    private static final int BATCH_BYTES = 64 * 1024;
    private static final int DRAIN_MAX = 1024;
    /** Longest a line waits, under load, for the lines that come after it. */
    static final long NAP_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** A batch buffer that can forget a partly written line. */
    private static final class Batch extends ByteArrayOutputStream {
        Batch() {
            super(BATCH_BYTES + 1024);
        }

        void truncate(int size) {
            count = size;
        }
    }

    /** Lines, and the latches of {@link #flush} calls, in submission order. */
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong pending = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong unreported = new AtomicLong();
    private final long maxPending;
    private volatile PrintStream out;
    private volatile LineFormat format;
    private final Thread thread;
    /**
     * The writer is asleep, or about to be, until a producer wakes it. It sets this before it
     * looks at the queue a last time, and a producer reads it after its insertion, so a line
     * is either seen by that last look or wakes the writer.
     */
    private volatile boolean asleep;

    /** @param maxPending the buffer's bound, in {@link Line#weight()} units (about characters) */
    LogWriter(PrintStream out, long maxPending, LineFormat format) {
        this.out = requireNonNull(out, "out");
        this.format = warmedUp(requireNonNull(format, "format"));
        this.maxPending = maxPending;
        this.thread = Thread.ofPlatform().daemon().name("fwatchdog-log").start(this::run);
    }

    /** Queues {@code line}, or drops and counts it when the buffer is full. Never blocks. */
    void submit(Line line) {
        int weight = line.weight();
        long after = pending.addAndGet(weight);
        // A line is always taken into an empty buffer, however long, so no line is too long to log.
        if (after > maxPending && after != weight) {
            pending.addAndGet(-weight);
            dropped.incrementAndGet();
            unreported.incrementAndGet();
            return;
        }
        queue.add(line);
        if (asleep) {
            LockSupport.unpark(thread);
        }
    }

    /** Lines dropped since this writer started. */
    long dropped() {
        return dropped.get();
    }

    void format(LineFormat format) {
        this.format = warmedUp(requireNonNull(format, "format"));
    }

    /**
     * {@code format}, after formatting a line with it once: what it needs (classes, time
     * formatting data) is loaded now. Loading it first when the process has run out of file
     * descriptors would fail, and that is when the log matters most. Runs before the writer
     * thread can see {@code format}.
     */
    private static LineFormat warmedUp(LineFormat format) {
        try {
            format.write(Line.watchdog(Line.Level.INFO, "warm-up"), new ByteArrayOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen: a ByteArrayOutputStream does not fail
        }
        return format;
    }

    void output(PrintStream out) {
        this.out = requireNonNull(out, "out");
    }

    /**
     * Waits until every line submitted before the call has been written (or dropped), at most
     * {@code millis}; true when it has.
     */
    boolean flush(long millis) {
        CountDownLatch written = new CountDownLatch(1);
        queue.add(written);
        LockSupport.unpark(thread);
        try {
            return written.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void run() {
        // The JDK's own logging (which Netty falls back to for its rare warnings) reads the
        // time-zone database the first time it formats a time; read it now, off the start-up
        // path, rather than first when descriptors have run out and the file cannot be opened.
        ZoneId.systemDefault().getRules();
        List<Object> items = new ArrayList<>();
        List<CountDownLatch> flushes = new ArrayList<>();
        Batch batch = new Batch();
        while (true) {
            if (!drain(items)) {
                asleep = true;
                if (queue.isEmpty()) {
                    LockSupport.park(this);
                }
                asleep = false;
                continue;
            }
            boolean more = items.size() == DRAIN_MAX;
            for (Object item : items) {
                if (item instanceof Line line) {
                    append(line, batch);
                    pending.addAndGet(-line.weight());
                    if (batch.size() >= BATCH_BYTES) {
                        writeOut(batch);
                    }
                } else {
                    flushes.add((CountDownLatch) item);
                }
            }
            items.clear();
            long lost = queue.isEmpty() ? unreported.getAndSet(0) : 0;
            if (lost > 0) {
                append(Line.watchdog(Line.Level.WARN, "log: " + lost + " lines dropped: the log output did not take"
                        + " them fast enough (see fwatchdog_log_lines_dropped_total)"), batch);
            }
            writeOut(batch);
            boolean flushed = !flushes.isEmpty();
            flushes.forEach(CountDownLatch::countDown);
            flushes.clear();
            if (!flushed && !more) {
                LockSupport.parkNanos(this, NAP_NANOS); // a flush cuts the nap short: it unparks
            }
        }
    }

    /** Moves what is queued, at most {@link #DRAIN_MAX} items, to {@code items}; false when nothing was. */
    private boolean drain(List<Object> items) {
        Object item;
        while (items.size() < DRAIN_MAX && (item = queue.poll()) != null) {
            items.add(item);
        }
        return !items.isEmpty();
    }

    private void append(Line line, Batch batch) {
        int mark = batch.size();
        try {
            format.write(line, batch);
        } catch (IOException | RuntimeException | LinkageError e) {
            // A value the format cannot encode must not lose the line: write what can be written.
            // A class that cannot be loaded (no descriptor left to read it) must not end this thread.
            batch.truncate(mark);
            try {
                new TextFormat(false).write(Line.watchdog(line.level(), "unformattable log line (" + e + "): "
                        + line.message().replaceAll("[^\\x20-\\x7e]", "?")), batch);
            } catch (RuntimeException ignored) {
                batch.truncate(mark);
            }
        }
    }

    private void writeOut(Batch batch) {
        if (batch.size() == 0) {
            return;
        }
        PrintStream stream = out;
        try {
            batch.writeTo(stream);
        } catch (IOException impossible) {
            // PrintStream reports errors through checkError(), never by throwing
        }
        stream.flush();
        batch.reset();
    }
}
