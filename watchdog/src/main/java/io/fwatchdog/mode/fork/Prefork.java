package io.fwatchdog.mode.fork;

import io.fwatchdog.log.Log;
import io.fwatchdog.mode.Responses;
import io.fwatchdog.process.ExitReason;
import io.fwatchdog.process.ExitStatus;
import io.fwatchdog.process.FunctionProcess;
import io.fwatchdog.process.Restarts;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code prefork=N} (docs/behaviour.md#prefork): keeps N function processes started and blocked on stdin, so a
 * request takes one instead of paying the process start. Each still serves one request; a
 * taken process is replaced in the background at once.
 *
 * <p>One platform thread does the starting, so a crash loop costs one spawn at a time: a
 * process that exits while waiting within {@link #QUICK_DEATH} of its start (or a start that
 * fails) doubles the pause before the next start, as {@link Restarts} spaces them. A process
 * that is taken, or that lived longer, resets the pause.
 *
 * <p>Waiting processes belong to the pool: their pipes are closed here when they die unused.
 * Once taken, they belong to the request, exactly as a freshly spawned one.
 */
final class Prefork implements AutoCloseable {
    static final Duration QUICK_DEATH = Duration.ofSeconds(1);

    private final ForkMode mode;
    private final int size;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Started and untouched, oldest first: the oldest has had the longest to boot. Guarded by lock. */
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    /** Quick deaths and failed starts in a row. Guarded by lock. */
    private final Restarts restarts = new Restarts(status -> true);
    private boolean closed;
    private final Thread starter;

    Prefork(ForkMode mode, int size) {
        this.mode = mode;
        this.size = size;
        this.starter = Thread.ofPlatform().name("fwatchdog-prefork").daemon(true).unstarted(this::keepFull);
    }

    /** Begins filling the pool; returns at once. */
    void start() {
        starter.start();
    }

    /**
     * A waiting process for one request, or null when none is ready (the caller spawns one).
     * Never blocks on a start; safe from any thread.
     */
    FunctionProcess take() {
        lock.lock();
        try {
            Waiting next;
            while ((next = waiting.pollFirst()) != null) {
                changed.signal();
                if (!next.process.exited()) {
                    restarts.proven();
                    return next.process;
                }
                // Exited, perhaps not reaped yet: whoever takes it out of the pool handles its death.
                diedWaiting(next, next.process.onExit().exceptionally(error -> null).getNow(null));
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    private void keepFull() {
        while (true) {
            long pause;
            lock.lock();
            try {
                while (!closed && waiting.size() >= size) {
                    changed.awaitUninterruptibly();
                }
                pause = restarts.failing() ? restarts.nanosToNextStart() : 0;
                while (!closed && pause > 0) {
                    pause = changed.awaitNanos(pause);
                }
                if (closed) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            startOne();
        }
    }

    private void startOne() {
        FunctionProcess process;
        try {
            process = mode.spawn(Map.of(), null);
        } catch (IOException | RuntimeException e) {
            lock.lock();
            try {
                Log.warn("prefork: function could not be started: " + e.getMessage()
                        + "; next try in " + Responses.duration(restarts.failed()));
            } finally {
                lock.unlock();
            }
            return;
        }
        long startedNanos = System.nanoTime();
        lock.lock();
        try {
            if (closed) {
                mode.end(process, ExitReason.KILLED);
                closePipes(process);
                return;
            }
            waiting.addLast(new Waiting(process, startedNanos));
        } finally {
            lock.unlock();
        }
        process.onExit().whenComplete((status, error) -> exited(process, status));
    }

    /** Runs on every exit of a process this pool started; only one still waiting concerns it. */
    private void exited(FunctionProcess process, ExitStatus status) {
        lock.lock();
        try {
            for (Waiting entry : waiting) {
                if (entry.process == process) {
                    waiting.remove(entry);
                    diedWaiting(entry, status);
                    return;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@code entry} died unused and is out of the pool now; called with the lock held. */
    private void diedWaiting(Waiting entry, ExitStatus status) {
        closePipes(entry.process);
        if (closed) {
            return;
        }
        boolean quick = System.nanoTime() - entry.startedNanos < QUICK_DEATH.toNanos();
        String next = "";
        if (quick) {
            next = " in " + Responses.duration(restarts.failed());
        } else {
            restarts.proven();
        }
        Log.warn("prefork: process " + entry.process.pid() + " exited while waiting for a request ("
                + (status == null ? "status unknown" : ProcessCall.failure(status)) + "); replacing it"
                + next);
        changed.signal();
    }

    private record Waiting(FunctionProcess process, long startedNanos) {}

    private static void closePipes(FunctionProcess process) {
        ProcessCall.closeQuietly(process.stdin());
        ProcessCall.closeQuietly(process.stdout());
        ProcessCall.closeQuietly(process.stderr());
    }

    /**
     * Stops starting processes. The waiting ones are still live processes of the mode, which
     * ends them with the rest; their pipes are closed as they exit.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            starter.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
