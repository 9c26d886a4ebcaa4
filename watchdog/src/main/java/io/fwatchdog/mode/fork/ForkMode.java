package io.fwatchdog.mode.fork;

import io.fwatchdog.config.Config;
import io.fwatchdog.log.Log;
import io.fwatchdog.process.FunctionProcess;
import io.fwatchdog.process.ProcessLauncher;
import io.fwatchdog.server.Call;
import io.fwatchdog.server.Exchange;
import io.fwatchdog.server.Mode;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * streaming and serializing modes: a process per request (SPEC §4.1).
 *
 * <p>Process pipes are blocking, so their reads and writes run on the mode's own pool of
 * platform threads (the pipes are read through native calls, which would pin virtual threads)
 * and hand their results to the request's event loop.
 */
public final class ForkMode implements Mode {
    /** Between SIGTERM and SIGKILL when a request's process tree is ended. */
    static final Duration KILL_GRACE = Duration.ofSeconds(2);
    /** Largest piece read from a pipe at once. */
    static final int CHUNK = 64 * 1024;

    final Config config;
    private final ProcessLauncher launcher;
    private final List<String> argv;
    private final Map<String, String> baseEnvironment = System.getenv();
    private final Set<FunctionProcess> live = ConcurrentHashMap.newKeySet();
    final ExecutorService io;

    public ForkMode(Config config, ProcessLauncher launcher) {
        this.config = config;
        this.launcher = launcher;
        this.argv = List.copyOf(config.functionCommand());
        AtomicInteger threads = new AtomicInteger();
        this.io = Executors.newCachedThreadPool(task -> Thread.ofPlatform()
                .name("fwatchdog-io-" + threads.incrementAndGet())
                .daemon(true)
                .unstarted(task));
    }

    @Override
    public Call open(Exchange exchange) {
        return switch (config.mode()) {
            case SERIALIZING -> new SerializingCall(this, exchange);
            default -> new StreamingCall(this, exchange);
        };
    }

    /** Starts the function for one request; blocking, so never called on an event loop. */
    FunctionProcess spawn(Map<String, String> requestEnvironment) throws IOException {
        Map<String, String> env = baseEnvironment;
        if (!requestEnvironment.isEmpty()) {
            env = new HashMap<>(baseEnvironment);
            env.putAll(requestEnvironment);
        }
        FunctionProcess process = launcher.start(config.functionExecutable().orElseThrow(), argv, env);
        live.add(process);
        process.onExit().whenComplete((status, error) -> live.remove(process));
        return process;
    }

    @Override
    public void close() {
        List<FunctionProcess> running = List.copyOf(live);
        if (!running.isEmpty()) {
            Log.info("shutdown: ending " + running.size() + " function processes");
        }
        running.forEach(process -> process.terminate(KILL_GRACE));
        try {
            CompletableFuture.allOf(running.stream().map(FunctionProcess::onExit).toArray(CompletableFuture[]::new))
                    .get(KILL_GRACE.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            Log.warn("shutdown: " + live.size() + " function processes did not exit after SIGKILL");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            Log.warn("shutdown: " + e.getCause());
        }
        io.shutdown();
    }

    /** Processes started and not yet exited. */
    int liveProcesses() {
        return live.size();
    }
}
