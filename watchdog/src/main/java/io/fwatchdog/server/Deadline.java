package io.fwatchdog.server;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A connection's timer for a deadline that is set and cleared with every request and rarely
 * reached ({@code read_timeout}, {@code exec_timeout}, {@code write_timeout}). Scheduling and
 * cancelling an event-loop task per request costs an allocation and two priority-queue
 * operations each time; here clearing only forgets the deadline, and the one scheduled check,
 * when it comes due, goes away, moves on to the deadline set since, or fires. Confined to the
 * connection's event loop.
 */
final class Deadline {
    private final EventExecutor loop;
    private final Runnable expired;
    private final Runnable due = this::due;
    private boolean armed;
    private long atNanos;
    private ScheduledFuture<?> check;
    private long checkAtNanos;

    /** @param expired run on {@code loop} once a deadline set and not cleared has passed */
    Deadline(EventExecutor loop, Runnable expired) {
        this.loop = loop;
        this.expired = expired;
    }

    /** The deadline is {@code nanos} from now, replacing any other. */
    void set(long nanos) {
        long now = System.nanoTime();
        atNanos = now + nanos;
        armed = true;
        if (check != null) {
            if (checkAtNanos - atNanos <= 0) {
                return; // the check comes first and moves on to this deadline
            }
            check.cancel(false);
        }
        schedule(now, nanos);
    }

    boolean armed() {
        return armed;
    }

    void clear() {
        armed = false;
    }

    /** Clears the deadline and drops the check: the connection is gone. */
    void close() {
        armed = false;
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    private void schedule(long now, long delayNanos) {
        checkAtNanos = now + delayNanos;
        check = loop.schedule(due, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void due() {
        check = null;
        if (!armed) {
            return;
        }
        long now = System.nanoTime();
        if (atNanos - now > 0) {
            schedule(now, atNanos - now);
            return;
        }
        armed = false;
        expired.run();
    }
}
