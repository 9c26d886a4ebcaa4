package io.fwatchdog.server;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;

/**
 * Admission control for requests to the function: at most {@code max_inflight} run at once
 * (0 = unlimited), up to {@code max_queue} more wait in FIFO order for at most the queue
 * timeout, and the rest are turned away at once.
 *
 * <p>Shared by every event loop, hence the lock; callbacks always run on the requester's
 * own event loop. A released slot is handed straight to the oldest waiter, so a newcomer can
 * never overtake the queue.
 */
final class Admission {

    /** Why a request was not admitted. */
    enum Rejection {
        /** Every slot busy and no room to wait. */
        FULL,
        /** Waited for the whole queue timeout without getting a slot. */
        QUEUE_TIMEOUT
    }

    interface Listener {
        void admitted();

        void rejected(Rejection reason);
    }

    private final int maxInflight;
    private final int maxQueue;
    private final Duration maxWait;
    /** Told how long each waiter waited, in nanoseconds, whichever way its wait ended. */
    private final LongConsumer waited;
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
    private int inflight;

    Admission(int maxInflight, int maxQueue, Duration maxWait, LongConsumer waited) {
        this.maxInflight = maxInflight;
        this.maxQueue = maxQueue;
        this.maxWait = maxWait;
        this.waited = waited;
    }

    /**
     * Asks for a slot. The listener is called on {@code loop}: at once when a slot is free or
     * the request is rejected, later when it waits. The returned ticket withdraws a waiting
     * request (client gone); it is a no-op once the listener ran.
     */
    Runnable request(EventExecutor loop, Listener listener) {
        Waiter waiter;
        synchronized (this) {
            if (maxInflight == 0 || inflight < maxInflight) {
                inflight++;
                waiter = null;
            } else if (queue.size() < maxQueue) {
                waiter = new Waiter(loop, listener);
                queue.addLast(waiter);
            } else {
                listener.rejected(Rejection.FULL);
                return () -> {};
            }
        }
        if (waiter == null) {
            listener.admitted();
            return () -> {};
        }
        if (!maxWait.isZero()) {
            waiter.timer = loop.schedule(() -> {
                if (waiter.claim()) {
                    withdraw(waiter);
                    waited.accept(System.nanoTime() - waiter.since);
                    listener.rejected(Rejection.QUEUE_TIMEOUT);
                }
            }, maxWait.toNanos(), TimeUnit.NANOSECONDS);
        }
        return () -> {
            if (waiter.claim()) {
                waiter.cancelTimer();
                withdraw(waiter);
                waited.accept(System.nanoTime() - waiter.since);
            }
        };
    }

    /** Gives back the slot of an admitted request: to the oldest waiter, else to the pool. */
    void release() {
        Waiter next;
        synchronized (this) {
            while ((next = queue.pollFirst()) != null && !next.claim()) {
                // withdrawn or timed out at this very moment: its own path removes it
            }
            if (next == null) {
                inflight--;
                return;
            }
        }
        Waiter admitted = next;
        admitted.cancelTimer();
        waited.accept(System.nanoTime() - admitted.since);
        admitted.loop.execute(admitted.listener::admitted);
    }

    synchronized int inflight() {
        return inflight;
    }

    synchronized int queued() {
        return queue.size();
    }

    /** True when {@code max_inflight} is set and every slot is taken. */
    synchronized boolean saturated() {
        return maxInflight > 0 && inflight >= maxInflight;
    }

    private synchronized void withdraw(Waiter waiter) {
        queue.remove(waiter);
    }

    private static final class Waiter {
        final EventExecutor loop;
        final Listener listener;
        final AtomicBoolean settled = new AtomicBoolean();
        final long since = System.nanoTime();
        volatile ScheduledFuture<?> timer;

        Waiter(EventExecutor loop, Listener listener) {
            this.loop = loop;
            this.listener = listener;
        }

        /** Exactly one of admission, timeout and withdrawal wins. */
        boolean claim() {
            return settled.compareAndSet(false, true);
        }

        void cancelTimer() {
            ScheduledFuture<?> t = timer;
            if (t != null) {
                t.cancel(false);
            }
        }
    }
}
