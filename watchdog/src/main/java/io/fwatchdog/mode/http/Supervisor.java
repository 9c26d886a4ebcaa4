package io.fwatchdog.mode.http;

import io.fwatchdog.process.ExitReason;
import io.fwatchdog.config.Config;
import io.fwatchdog.log.Log;
import io.fwatchdog.metrics.Metrics;
import io.fwatchdog.process.ExitStatus;
import io.fwatchdog.process.FunctionProcess;
import io.fwatchdog.process.LogRelay;
import io.fwatchdog.process.ProcessLauncher;
import io.fwatchdog.process.Restarts;
import io.fwatchdog.mode.Responses;
import io.fwatchdog.mode.FunctionEvents;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Keeps the http mode's upstream server running: starts {@code fprocess}, relays its output to
 * the log, finds out when it accepts connections, and when it exits restarts it as
 * {@code restart_policy} says, with capped exponential backoff.
 *
 * <p>Readiness is a connect to the upstream address every few milliseconds, bounded by
 * {@code startup_timeout} for each start; a start that never becomes ready is ended and counts
 * as a failure. With {@code ready_path}, each start must also answer GET {@code ready_path} with
 * 2xx before it is ready: a restarted upstream passes the same gate as the first. An upstream
 * that answers, but not yet 2xx, is asked again after a pause that doubles from
 * {@link #PROBE_PERIOD} to {@link #MAX_ASK_PERIOD}, so a slow start is not flooded with requests.
 * Without {@code fprocess} the upstream is someone else's: it is awaited once at start-up and
 * then trusted. With {@code fprocess}, a local TCP port that accepts connections before the first
 * start is someone else's too, such as an upstream left running by a watchdog that was killed:
 * the start fails rather than proxy to it.
 *
 * <p>Threading: state is guarded by this object's lock, which every proxied request and health
 * check takes, so it is never held while a process is spawned or anything waits; process exits
 * arrive on reaper threads and everything that may wait runs on the supervisor's own thread.
 */
final class Supervisor {
    /** Between probes while the upstream starts. */
    static final Duration PROBE_PERIOD = Duration.ofMillis(5);
    /** Longest pause between GETs of {@code ready_path} to an upstream that answers non-2xx. */
    static final Duration MAX_ASK_PERIOD = Duration.ofMillis(100);

    private final Config config;
    private final ProcessLauncher launcher;
    private final UpstreamAddress upstream;
    /** With {@code upstream_protocol=fn}: the FDK's socket directory, whose listener link is its readiness. */
    private final Optional<FnProtocol.SocketDir> fn;
    private final FunctionEvents events;
    private final Metrics metrics;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("fwatchdog-supervisor").factory());

    private final Restarts restarts;
    private FunctionProcess process;
    private long startedNanos;
    /** A spawn is under way outside the lock; {@link #stop} waits for it to end the process it yields. */
    private boolean spawning;
    private boolean ready;
    private boolean stopped;
    private int restartCount;
    /** The process {@link #recycle} ended: its exit restarts it whatever {@code restart_policy} says. */
    private FunctionProcess recycling;
    /** Completes when the upstream is next ready; replaced each time it stops being ready. */
    private CompletableFuture<Void> whenReady = new CompletableFuture<>();

    Supervisor(Config config, ProcessLauncher launcher, UpstreamAddress upstream,
            Optional<FnProtocol.SocketDir> fn, FunctionEvents events, Metrics metrics) {
        this.fn = fn;
        this.metrics = metrics;
        this.config = config;
        this.launcher = launcher;
        this.upstream = upstream;
        this.events = events;
        this.restarts = new Restarts(status -> config.restartPolicy().restartsAfter(status.success()));
    }

    /** Starts the upstream (when there is a command) and begins probing it; returns at once. */
    void start() {
        thread.execute(this::launch);
    }

    synchronized boolean ready() {
        return ready;
    }

    /** Completes once the upstream accepts connections; may already be complete. */
    synchronized CompletableFuture<Void> whenReady() {
        return whenReady;
    }

    /** How many times the upstream has been restarted. */
    synchronized int restarts() {
        return restartCount;
    }

    /**
     * Waits for the first start to become ready.
     *
     * @throws IllegalStateException naming {@code startup_timeout} when it does not
     */
    void awaitFirstReady() throws InterruptedException {
        CompletableFuture<Void> first = whenReady();
        try {
            // The probe itself gives up after startup_timeout; this bound only guards against a stall.
            first.get(config.startupTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("upstream " + upstream.display() + " did not become ready within"
                    + " startup_timeout (" + Responses.duration(config.startupTimeout()) + ")");
        }
    }

    private void launch() {
        if (portTakenBeforeFirstStart()) {
            return;
        }
        FunctionProcess started = null;
        if (!config.functionCommand().isEmpty()) {
            synchronized (this) {
                if (stopped) {
                    return;
                }
                spawning = true;
            }
            try {
                // An FDK cannot bind over the socket and link a crashed predecessor left behind.
                fn.ifPresent(FnProtocol.SocketDir::clear);
                Map<String, String> env = fn.map(socket -> FnProtocol.environment(System.getenv(), socket))
                        .orElse(System.getenv());
                started = launcher.start(config.functionExecutable().orElseThrow(), config.functionCommand(), env);
            } catch (IOException | RuntimeException e) {
                spawned(null);
                metrics.processStartFailed();
                Log.error("cannot start the upstream " + String.join(" ", config.functionCommand()) + ": " + e.getMessage());
                failed(ExitStatus.exited(127));
                return;
            }
            spawned(started);
            metrics.processStarted();
            FunctionProcess running = started;
            LogRelay.start(running.stdout(), "stdout", config.logBufferSize(), config.prefixLogs());
            LogRelay.start(running.stderr(), "stderr", config.logBufferSize(), config.prefixLogs());
            running.onExit().whenComplete((status, error) -> thread.execute(() ->
                    exited(running, status == null ? ExitStatus.exited(1) : status)));
            Log.info("started upstream " + String.join(" ", config.functionCommand()) + " (pid " + running.pid() + ")");
        }
        probe(started, System.nanoTime() + config.startupTimeout().toNanos(), PROBE_PERIOD, null);
    }

    /** Ends a spawn; {@code started} is null when it failed. */
    private synchronized void spawned(FunctionProcess started) {
        spawning = false;
        if (started != null) {
            process = started; // also when stopped meanwhile: stop() is waiting to end it
            startedNanos = System.nanoTime();
        }
        notifyAll();
    }

    /**
     * Fails the start when the upstream's local TCP port accepts connections before fprocess was
     * first started. Trusted, that listener would make the watchdog ready in front of a process
     * it does not run, while its own upstream fails to bind. A connect to a local address ends at
     * once, so it barely delays the start.
     */
    private boolean portTakenBeforeFirstStart() {
        if (config.functionCommand().isEmpty() || restarts() > 0 || !upstream.localTcp() || !accepts(upstream.probe())) {
            return false;
        }
        synchronized (this) {
            stopped = true;
            whenReady.completeExceptionally(new IllegalStateException("upstream_url " + upstream.display()
                    + " already accepts connections before fprocess started: another process holds the port"
                    + " (a leftover upstream?)"));
        }
        return true;
    }

    /**
     * Checks until the upstream is ready, exits, or the start-up budget ends: every
     * {@link #PROBE_PERIOD} while it does not accept connections, every {@code pause} while it
     * answers {@code ready_path} with something other than 2xx.
     *
     * @param said what the upstream last answered on {@code ready_path}; null until it answered
     */
    private void probe(FunctionProcess candidate, long deadline, Duration pause, ReadyPathCheck.Answer said) {
        synchronized (this) {
            if (stopped || candidate != process) {
                return; // stopped, or exited: exited() has taken over
            }
        }
        boolean answering = false;
        if (fn.isPresent()) {
            if (fn.get().listening()) {
                becameReady(candidate);
                return;
            }
        } else if (config.readyPath().isEmpty()) {
            if (accepts(upstream.probe())) {
                becameReady(candidate);
                return;
            }
        } else {
            String readyPath = config.readyPath().get();
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            ReadyPathCheck.Answer answer = ReadyPathCheck.ask(upstream.probe(), upstream.target(readyPath), upstream.host(), left);
            if (answer.ready()) {
                becameReady(candidate);
                return;
            }
            if (answer.listening()) {
                if (said == null) {
                    Log.info("upstream " + upstream.display() + " accepts connections; waiting for GET " + readyPath
                            + " to answer 2xx (it " + answer.detail() + ")");
                }
                if (said == null || answer.status() != 0) {
                    said = answer; // a status says more than a later attempt cut short by the deadline
                }
                answering = true;
            }
        }
        if (System.nanoTime() - deadline >= 0) {
            String message = fn.isPresent()
                    ? "Fn function " + String.join(" ", config.functionCommand()) + " did not create its listener "
                            + fn.get().describe() + " (FN_LISTENER) within startup_timeout ("
                            + Responses.duration(config.startupTimeout()) + ")"
                    : "upstream " + upstream.display() + config.readyPath()
                    .map(path -> " did not answer GET " + path + " with 2xx").orElse(" did not accept connections")
                    + " within startup_timeout (" + Responses.duration(config.startupTimeout()) + ")"
                    + (said == null ? "" : "; it last " + said.detail());
            if (candidate != null) {
                candidate.terminate(FunctionProcess.KILL_GRACE); // its exit restarts it, or ends the watchdog
            }
            boolean first;
            synchronized (this) {
                first = restartCount == 0 && !whenReady.isDone();
                if (first) {
                    whenReady.completeExceptionally(new IllegalStateException(message));
                }
            }
            if (!first) {
                Log.error(message); // the first start's failure ends the watchdog, which logs it then
            }
            return;
        }
        Duration wait = answering ? pause : PROBE_PERIOD;
        Duration next = answering ? min(pause.multipliedBy(2), MAX_ASK_PERIOD) : PROBE_PERIOD;
        ReadyPathCheck.Answer last = said;
        thread.schedule(() -> probe(candidate, deadline, next, last), wait.toNanos(), TimeUnit.NANOSECONDS);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private void becameReady(FunctionProcess candidate) {
        CompletableFuture<Void> waiting;
        synchronized (this) {
            if (stopped || candidate != process) {
                return;
            }
            ready = true;
            waiting = whenReady;
        }
        Log.info("upstream " + upstream.display() + " is ready");
        events.readinessChanged(true);
        waiting.complete(null);
    }

    /**
     * Ends the running upstream so that a fresh one takes its place at once, whatever
     * {@code restart_policy} says: an Fn function that overran its call's deadline is still busy
     * with it and would hold up every call after it (Fn's agent retires such a container too).
     */
    void recycle(String why) {
        FunctionProcess running;
        synchronized (this) {
            if (stopped || process == null || recycling == process) {
                return;
            }
            running = recycling = process;
            ready = false;
            if (whenReady.isDone()) {
                whenReady = new CompletableFuture<>();
            }
        }
        Log.warn("restarting the upstream (pid " + running.pid() + "): " + why);
        events.readinessChanged(false);
        running.terminate(FunctionProcess.KILL_GRACE);
    }

    private void exited(FunctionProcess exited, ExitStatus status) {
        boolean wasReady;
        boolean recycled;
        synchronized (this) {
            if (exited != process) {
                return;
            }
            recycled = recycling == exited;
            process = null;
            wasReady = ready;
            ready = false;
            if (whenReady.isDone()) {
                whenReady = new CompletableFuture<>();
            }
            if (stopped) {
                return;
            }
        }
        metrics.processExited(ExitReason.of(status));
        if (recycled) {
            synchronized (this) {
                restartCount++;
            }
            metrics.upstreamRestarted();
            launch();
            return;
        }
        Log.warn("upstream " + status);
        if (wasReady) {
            events.readinessChanged(false);
        }
        failed(status);
    }

    /** Decides by {@code restart_policy} what follows an exit (or a failed start). */
    private void failed(ExitStatus status) {
        Duration backoff = null;
        synchronized (this) {
            if (stopped) {
                return; // a spawn that failed while the upstream was being stopped
            }
            stopped = !restarts.restartsAfter(status);
            if (stopped) {
                whenReady.completeExceptionally(new IllegalStateException("upstream " + status));
            } else {
                if (!Restarts.endsEarly(startedNanos)) {
                    restarts.proven();
                }
                backoff = restarts.failed();
                restartCount++;
                metrics.upstreamRestarted();
            }
        }
        if (backoff == null) {
            Log.info("restart_policy=" + config.restartPolicy().setting() + ": not restarting the upstream");
            events.ended(status);
            return;
        }
        Log.info("restarting the upstream in " + Responses.duration(backoff));
        thread.schedule(this::launch, backoff.toNanos(), TimeUnit.NANOSECONDS);
    }

    private static boolean accepts(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            try (Socket socket = new Socket()) {
                socket.connect(inet, 1000);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        try (SocketChannel channel = SocketChannel.open(address)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Stops restarting and ends the upstream: SIGTERM, {@link FunctionProcess#KILL_GRACE}, SIGKILL.
     * Called at shutdown once in-flight requests have drained.
     */
    void stop() {
        FunctionProcess running;
        synchronized (this) {
            stopped = true;
            ready = false;
            while (spawning) {
                try {
                    wait(); // a spawn takes milliseconds; the process it yields is ended below
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            running = process;
        }
        if (running != null) {
            Log.info("shutdown: stopping the upstream (pid " + running.pid() + ")");
            running.terminate(FunctionProcess.KILL_GRACE);
            try {
                running.onExit().get(FunctionProcess.KILL_GRACE.toMillis() + 2_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
                Log.warn("shutdown: the upstream did not exit after SIGKILL");
            }
        }
        thread.shutdownNow();
    }
}
