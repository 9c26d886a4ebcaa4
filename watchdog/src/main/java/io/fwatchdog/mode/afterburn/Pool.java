package io.fwatchdog.mode.afterburn;

import io.fwatchdog.config.Config;
import io.fwatchdog.log.Log;
import io.fwatchdog.metrics.Metrics;
import io.fwatchdog.process.ExitReason;
import io.fwatchdog.process.ExitStatus;
import io.fwatchdog.process.FunctionProcess;
import io.fwatchdog.process.LogRelay;
import io.fwatchdog.process.ProcessLauncher;
import io.fwatchdog.process.Restarts;
import io.fwatchdog.mode.Responses;
import io.fwatchdog.mode.FunctionEvents;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The afterburn mode's hot processes: at most {@code workers} of them, each serving
 * one request at a time.
 *
 * <p>A request takes an idle worker (the most recently used, so surplus ones stay idle long
 * enough for {@code idle_timeout} to stop them); when there is none, a new one is started if
 * the pool is below {@code workers}, and the request waits in FIFO order for the first worker
 * to come free. {@code min_workers} are kept started. A worker that misbehaves is retired
 * (SIGTERM, grace, SIGKILL) and never serves again; one that exits by itself is replaced as
 * {@code restart_policy} says. Starts that keep failing, by exiting before they served anything,
 * are spaced by capped exponential backoff, so a function that dies at start cannot spin the CPU.
 *
 * <p>Threading: state is guarded by this object's lock; starts, backoff and the idle sweep run
 * on the pool's own thread; assignments are handed to the requester's event loop.
 */
final class Pool {
    /** A worker alive this long without a fault proves that the function can start. */
    static final Duration PROVEN = Duration.ofSeconds(1);
    /** How long a process that closed its stdout while idle has to exit by itself. */
    static final Duration OUTPUT_CLOSED_GRACE = Duration.ofMillis(500);

    private final Config config;
    private final ProcessLauncher launcher;
    private final Metrics metrics;
    private final FunctionEvents events;
    private final ByteBufAllocator alloc;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("fwatchdog-afterburn").factory());

    // Guarded by this.
    private final Set<Worker> live = new HashSet<>();
    /** Retired or exited on their own, not yet reaped. */
    private final Set<Worker> ending = new HashSet<>();
    private final ArrayDeque<Worker> idle = new ArrayDeque<>();
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    private int starting;
    /** Starts that ended before the worker served or stayed up for {@link #PROVEN}, and the pause they set. */
    private final Restarts restarts;
    private boolean startScheduled;
    private boolean ready = true;
    private boolean closed;
    /** Completes once {@code min_workers} have started, or exceptionally when the function cannot start. */
    private final CompletableFuture<Void> started = new CompletableFuture<>();

    Pool(Config config, ProcessLauncher launcher, Metrics metrics, FunctionEvents events, ByteBufAllocator alloc) {
        this.config = config;
        this.launcher = launcher;
        this.metrics = metrics;
        this.events = events;
        this.alloc = alloc;
        this.restarts = new Restarts(status -> config.restartPolicy().restartsAfter(status.success()));
        metrics.watchWorkers(this::idleCount, this::busyCount, this::startingCount);
    }

    /** Starts {@code min_workers}; returns at once. */
    void start() {
        synchronized (this) {
            if (config.minWorkers() == 0) {
                started.complete(null);
            }
            grow();
        }
        if (!config.idleTimeout().isZero()) {
            long period = Math.max(10, config.idleTimeout().toMillis() / 4);
            thread.scheduleWithFixedDelay(this::sweepIdle, period, period, TimeUnit.MILLISECONDS);
        }
    }

    /** Completes once {@code min_workers} have been started. */
    CompletableFuture<Void> started() {
        return started;
    }

    /** True while the function can serve: a worker is alive or may be started (health). */
    synchronized boolean ready() {
        return ready;
    }

    /** One request waiting for a worker. */
    private record Waiter(EventExecutor loop, Consumer<Worker> assigned) {}

    /** The threads that write workers' stdin. */
    Executor io() {
        return launcher.io();
    }

    /**
     * Asks for a worker. {@code assigned} runs on {@code loop} with the worker, which the caller
     * must give back with {@link #release} whatever happens. The returned ticket withdraws the
     * request while it waits; it is a no-op once a worker was assigned.
     *
     * @return the ticket, or null when the pool is closed and no worker will come
     */
    Runnable acquire(EventExecutor loop, Consumer<Worker> assigned) {
        Waiter waiter = new Waiter(loop, assigned);
        synchronized (this) {
            if (closed) {
                return null;
            }
            Worker worker = idle.pollFirst();
            if (worker == null) {
                waiting.addLast(waiter);
                grow();
                return () -> withdraw(waiter);
            }
            loop.execute(() -> assigned.accept(worker));
        }
        return () -> {};
    }

    private synchronized void withdraw(Waiter waiter) {
        waiting.remove(waiter);
    }

    /**
     * Gives a worker back after a request. It serves again unless it is tainted, has served
     * {@code max_requests}, or {@code fault} says why it must not; then it is retired.
     *
     * @param answered the worker completed a response (proof that the function works)
     * @param fault    why the worker must be retired, null when it may serve again
     */
    void release(Worker worker, boolean answered, String fault, ExitReason reason) {
        if (fault != null) {
            worker.taint(fault);
        }
        String taint = worker.taint();
        synchronized (this) {
            worker.served++;
            if (answered) {
                becomeReady();
            }
            if (worker.retired) {
                return;
            }
            if (worker.process.onExit().isDone()) {
                return; // it exited by itself: exited() is on its way and decides what follows
            }
            if (taint != null) {
                retire(worker, reason, taint);
            } else if (config.maxRequests() > 0 && worker.served >= config.maxRequests()) {
                retire(worker, ExitReason.RECYCLED, null);
            } else if (closed) {
                retire(worker, ExitReason.KILLED, null);
            } else {
                offer(worker);
            }
            grow();
        }
    }

    /** A worker was tainted while idle (output with no request, or its stdout closed). */
    void taintedIdle(Worker worker) {
        synchronized (this) {
            if (!idle.remove(worker)) {
                return; // busy: its request's call gives it back; or already gone
            }
            if (!worker.outputEnded()) {
                retire(worker, ExitReason.KILLED, worker.taint());
                grow();
                return;
            }
        }
        // A closed stdout almost always means an exit, which should count as the process's own
        // (restart_policy, backoff); retire it only if it is still running after a moment.
        thread.schedule(() -> {
            synchronized (this) {
                if (live.contains(worker) && !worker.retired) {
                    retire(worker, ExitReason.KILLED, worker.taint());
                    grow();
                }
            }
        }, OUTPUT_CLOSED_GRACE.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Hands {@code worker} to the oldest waiter, or makes it idle. */
    private void offer(Worker worker) {
        Waiter next = waiting.pollFirst();
        if (next == null) {
            worker.idleSinceNanos = System.nanoTime();
            idle.addFirst(worker);
            return;
        }
        next.loop.execute(() -> next.assigned.accept(worker));
    }

    /**
     * Ends {@code worker}: it is out of the pool at once, and reaped when it exits.
     *
     * @param fault what the worker did wrong, for the log; null for the normal course (recycling, shutdown)
     */
    private void retire(Worker worker, ExitReason reason, String fault) {
        worker.retired = true;
        live.remove(worker);
        idle.remove(worker);
        ending.add(worker);
        worker.endedBy = reason;
        if (fault != null) {
            Log.warn("afterburn: retiring function process " + worker.process.pid() + ": it " + fault);
        }
        worker.process.terminate(FunctionProcess.KILL_GRACE);
        worker.close();
    }

    /**
     * Starts workers while requests wait with no worker on its way for them, or the pool is
     * below {@code min_workers}, up to {@code workers}; waits out the backoff first.
     */
    private void grow() {
        if (closed) {
            return;
        }
        int wanted = Math.max(config.minWorkers(), busyCount() + waiting.size());
        int missing = Math.min(config.workers(), wanted) - live.size() - starting;
        if (missing <= 0) {
            return;
        }
        if (restarts.failing()) {
            // While starts fail: one at a time, each after the backoff that the last failure set.
            long wait = restarts.nanosToNextStart();
            if (wait > 0) {
                if (!startScheduled) {
                    startScheduled = true;
                    thread.schedule(() -> {
                        synchronized (this) {
                            startScheduled = false;
                            grow();
                        }
                    }, wait, TimeUnit.NANOSECONDS);
                }
                return;
            }
            if (starting > 0) {
                return;
            }
            missing = 1;
        }
        starting += missing;
        for (int i = 0; i < missing; i++) {
            thread.execute(this::spawn);
        }
    }

    private void spawn() {
        FunctionProcess process;
        try {
            process = launcher.start(config.functionExecutable().orElseThrow(), config.functionCommand(), System.getenv());
        } catch (IOException | RuntimeException e) {
            metrics.processStartFailed();
            Log.error("afterburn: cannot start " + String.join(" ", config.functionCommand()) + ": " + e.getMessage());
            synchronized (this) {
                starting--;
                startFailed(ExitStatus.exited(127));
            }
            return;
        }
        metrics.processStarted();
        Worker worker = new Worker(process, launcher.io(), alloc, config.maxHeaderSize(), this::taintedIdle);
        LogRelay.start(process.stderr(), "stderr", config.logBufferSize(), config.prefixLogs(),
                (stream, line, prefix) -> Log.relay(stream, line, prefix, worker.callId(), process.pid()))
                .whenComplete((ignored, error) -> closeQuietly(process));
        process.onExit().whenComplete((status, error) ->
                thread.execute(() -> exited(worker, status == null ? ExitStatus.exited(1) : status)));
        worker.start();
        boolean stop;
        synchronized (this) {
            starting--;
            stop = closed;
            live.add(worker);
            if (stop) {
                retire(worker, ExitReason.KILLED, null);
            } else {
                offer(worker);
                if (live.size() >= config.minWorkers()) {
                    started.complete(null);
                }
            }
        }
        if (!stop) {
            thread.schedule(() -> provedItself(worker), PROVEN.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private synchronized void provedItself(Worker worker) {
        if (live.contains(worker) && worker.taint() == null) {
            becomeReady();
        }
    }

    private void exited(Worker worker, ExitStatus status) {
        boolean unexpected;
        synchronized (this) {
            unexpected = live.remove(worker);
            idle.remove(worker);
            ending.remove(worker);
            if (!unexpected) {
                metrics.processExited(worker.endedBy);
                notifyAll();
                return;
            }
            worker.retired = true;
            worker.taint(status.toString());
        }
        metrics.processExited(ExitReason.of(status));
        Log.warn("afterburn: function process " + worker.process.pid() + " " + status);
        worker.process.terminate(FunctionProcess.KILL_GRACE); // whatever it left behind in its group
        worker.close();
        if (!restarts.restartsAfter(status)) {
            synchronized (this) {
                closed = true;
                started.completeExceptionally(new IllegalStateException("function process " + status));
            }
            Log.info("restart_policy=" + config.restartPolicy().setting() + ": not replacing the function process");
            events.ended(status);
            return;
        }
        synchronized (this) {
            if (worker.served == 0 && Restarts.endsEarly(worker.startedNanos)) {
                startFailed(status);
            }
            grow();
        }
    }

    /**
     * A start failed: the process could not be spawned, or exited before it served anything.
     * The next start waits for the backoff; with no other worker alive the function is not ready
     * until a worker proves itself.
     */
    private void startFailed(ExitStatus status) {
        Duration backoff = restarts.failed();
        Log.warn("afterburn: the function failed at start (" + status + "); next start in " + Responses.duration(backoff));
        if (ready && live.stream().noneMatch(worker -> worker.taint() == null)) {
            ready = false;
            thread.execute(() -> events.readinessChanged(false));
        }
        if (restarts.givesUp()) {
            // It never got going: a broken deployment, not a bad moment. Restarting the container says so.
            String message = "afterburn: the function failed at start " + restarts.failures() + " times in a row (last: " + status
                    + ") and never served; giving up (its stderr is in the log above)";
            closed = true;
            if (!started.isDone()) {
                started.completeExceptionally(new IllegalStateException(message));
            } else {
                Log.error(message);
                thread.execute(() -> events.ended(status));
            }
            return;
        }
        grow();
    }

    private void becomeReady() {
        restarts.proven();
        if (!ready) {
            ready = true;
            Log.info("afterburn: the function is serving again");
            thread.execute(() -> events.readinessChanged(true));
        }
    }

    /** Retires idle workers above {@code min_workers} that have been idle for {@code idle_timeout}. */
    private void sweepIdle() {
        synchronized (this) {
            long now = System.nanoTime();
            long limit = config.idleTimeout().toNanos();
            // Oldest idle workers are at the tail.
            while (live.size() > config.minWorkers() && !idle.isEmpty()
                    && now - idle.peekLast().idleSinceNanos >= limit) {
                retire(idle.peekLast(), ExitReason.RECYCLED, null);
            }
        }
    }

    synchronized int idleCount() {
        return idle.size();
    }

    synchronized int busyCount() {
        return live.size() - idle.size();
    }

    synchronized int startingCount() {
        return starting;
    }

    /**
     * Ends every worker: SIGTERM, grace, SIGKILL, and waits for them. Called at shutdown once
     * in-flight requests have drained.
     */
    void close() {
        List<Worker> all;
        synchronized (this) {
            closed = true;
            waiting.clear();
            all = new ArrayList<>(live);
            all.forEach(worker -> retire(worker, ExitReason.KILLED, null));
        }
        if (!all.isEmpty()) {
            Log.info("shutdown: ending " + all.size() + " function processes");
        }
        long deadline = System.nanoTime() + FunctionProcess.KILL_GRACE.toNanos() + TimeUnit.SECONDS.toNanos(1);
        synchronized (this) {
            try {
                while (!ending.isEmpty() || starting > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        Log.warn("shutdown: " + ending.size() + " function processes did not exit after SIGKILL");
                        break;
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        thread.shutdownNow();
    }

    private static void closeQuietly(FunctionProcess process) {
        try {
            process.stderr().close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
