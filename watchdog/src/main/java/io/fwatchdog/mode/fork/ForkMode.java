package io.fwatchdog.mode.fork;

import io.fwatchdog.config.Config;
import io.fwatchdog.log.Log;
import io.fwatchdog.metrics.Metrics;
import io.fwatchdog.process.ExitReason;
import io.fwatchdog.process.ArgumentRoom;
import io.fwatchdog.process.ExitStatus;
import io.fwatchdog.process.FunctionProcess;
import io.fwatchdog.process.ProcessLauncher;
import io.fwatchdog.mode.Call;
import io.fwatchdog.mode.Exchange;
import io.fwatchdog.mode.Mode;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * streaming and serializing modes: a process per request.
 *
 * <p>Process pipes are blocking, so their reads and writes run on the launcher's I/O threads
 * and hand their results to the request's event loop.
 */
public final class ForkMode implements Mode {
    /** Largest piece read from a pipe at once. */
    static final int CHUNK = 64 * 1024;

    final Config config;
    private final ProcessLauncher launcher;
    private final List<String> argv;
    private final Map<String, String> baseEnvironment = System.getenv();
    /** Processes started and not yet exited, each with why the watchdog ended it, if it did. */
    private final Map<FunctionProcess, AtomicReference<ExitReason>> live = new ConcurrentHashMap<>();
    private final Metrics metrics;
    final Executor io;
    /** Processes started ahead of requests; null without {@code prefork}. */
    private final Prefork prefork;
    /** What the command and the inherited environment leave for a request's {@code Http_*} variables; see {@link #environmentRoom()}. */
    private volatile ArgumentRoom environmentRoom;

    public ForkMode(Config config, ProcessLauncher launcher, Metrics metrics) {
        this.config = config;
        this.launcher = launcher;
        this.metrics = metrics;
        this.argv = List.copyOf(config.functionCommand());
        this.io = launcher.io();
        // Started here, before the listener exists, so the functions boot while the watchdog does.
        this.prefork = config.prefork() > 0 ? new Prefork(this, config.prefork()) : null;
        if (prefork != null) {
            prefork.start();
        }
    }

    /**
     * Asked of the system on the first request rather than at start-up, which it would cost a
     * native call; two first requests at once both ask, and get the same answer.
     */
    ArgumentRoom environmentRoom() {
        ArgumentRoom room = environmentRoom;
        if (room == null) {
            room = launcher.argumentRoom(config.functionExecutable().orElseThrow(), argv, baseEnvironment);
            environmentRoom = room;
        }
        return room;
    }

    @Override
    public Call open(Exchange exchange) {
        return switch (config.mode()) {
            case SERIALIZING -> new SerializingCall(this, exchange);
            default -> new StreamingCall(this, exchange);
        };
    }

    /**
     * A process for one request: a preforked one when one is waiting, else one started now.
     * Blocking, so never called on an event loop.
     */
    FunctionProcess acquire(Map<String, String> requestEnvironment, EventLoop loop) throws IOException {
        FunctionProcess ready = prefork == null ? null : prefork.take();
        return ready != null ? ready : spawn(requestEnvironment, loop);
    }

    /**
     * Starts the function; blocking, so never called on an event loop. With {@code loop}, the
     * request's, its exit and stderr are watched there (see {@link ProcessLauncher#start(
     * java.nio.file.Path, List, Map, EventLoop)}), unless its stderr is captured by a thread.
     */
    FunctionProcess spawn(Map<String, String> requestEnvironment, EventLoop loop) throws IOException {
        Map<String, String> env = baseEnvironment;
        if (!requestEnvironment.isEmpty()) {
            env = new HashMap<>(baseEnvironment);
            env.putAll(requestEnvironment);
        }
        FunctionProcess process;
        try {
            process = launcher.start(config.functionExecutable().orElseThrow(), argv, env,
                    config.combineOutput() ? null : loop);
        } catch (IOException | RuntimeException e) {
            metrics.processStartFailed();
            throw e;
        }
        metrics.processStarted();
        live.put(process, new AtomicReference<>());
        process.onExit().whenComplete((status, error) -> {
            AtomicReference<ExitReason> endedBy = live.remove(process);
            metrics.processExited(exitReason(status, endedBy == null ? null : endedBy.get()));
        });
        return process;
    }

    /**
     * Ends {@code process}'s tree (SIGTERM, grace, SIGKILL) and remembers why, for the exit
     * reason; the first reason given wins. Safe from any thread.
     */
    void end(FunctionProcess process, ExitReason why) {
        AtomicReference<ExitReason> endedBy = live.get(process);
        if (endedBy != null) {
            endedBy.compareAndSet(null, why);
        }
        process.terminate(FunctionProcess.KILL_GRACE);
    }

    /**
     * The reason an exit is counted under: the watchdog's, when it ended the process (a kill
     * it asked for is not a crash, and a function that exits 0 on SIGTERM still timed out);
     * else {@code crashed} for a signal, {@code ok} or {@code error} by the exit status.
     */
    static ExitReason exitReason(ExitStatus status, ExitReason endedBy) {
        return endedBy != null ? endedBy : ExitReason.of(status);
    }

    @Override
    public void close() {
        if (prefork != null) {
            prefork.close(); // first, or it would replace what is ended below
        }
        List<FunctionProcess> running = List.copyOf(live.keySet());
        if (!running.isEmpty()) {
            Log.info("shutdown: ending " + running.size() + " function processes");
        }
        running.forEach(process -> end(process, ExitReason.KILLED));
        try {
            CompletableFuture.allOf(running.stream().map(FunctionProcess::onExit).toArray(CompletableFuture[]::new))
                    .get(FunctionProcess.KILL_GRACE.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            Log.warn("shutdown: " + live.size() + " function processes did not exit after SIGKILL");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            Log.warn("shutdown: " + e.getCause());
        }
    }

    /** Processes started and not yet exited. */
    int liveProcesses() {
        return live.size();
    }
}
