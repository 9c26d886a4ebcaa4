package io.fwatchdog.process;

import io.fwatchdog.log.Log;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts function processes, one per request in the fork modes, so starting is kept to a
 * handful of system calls. On Linux with glibc it uses {@code posix_spawn} through the foreign
 * function API (process groups, a child subreaper, only descriptors 0-2 inherited); elsewhere it
 * falls back to the JDK's process API and says so once in the log.
 *
 * <p>Thread-safe. Processes' pipes are blocking channels, read and written on {@link #io()}.
 */
public final class ProcessLauncher implements AutoCloseable {
    private final Spawner spawner;
    private final ExecutorService io;

    private ProcessLauncher(Spawner spawner) {
        this.spawner = spawner;
        AtomicInteger threads = new AtomicInteger();
        this.io = Executors.newCachedThreadPool(task -> Thread.ofPlatform()
                .name("fwatchdog-io-" + threads.incrementAndGet())
                .daemon(true)
                .unstarted(task));
    }

    /**
     * Looks up the C library calls that {@link #create()} checks for, ahead of it, and with
     * {@code bind} also does what the first start would do first (binding them); throws as
     * {@link #create()} would fail.
     */
    public static void loadNativeSupport(boolean bind) {
        if (linux()) {
            LibC.ensureAvailable();
            if (bind) {
                LinuxSpawner.prepareNativeCalls();
            }
        }
    }

    private static boolean linux() {
        return System.getProperty("os.name", "").startsWith("Linux");
    }

    /** The native launcher when the platform has it, else the JDK fallback. */
    public static ProcessLauncher create() {
        Spawner spawner;
        try {
            spawner = linux() ? new LinuxSpawner() : null;
        } catch (LinkageError | RuntimeException e) {
            // Missing libc symbols, or native access denied to this module.
            Log.warn("native process launcher unavailable: " + e);
            spawner = null;
        }
        if (spawner == null) {
            Log.warn("using the JDK process API: no process groups and no subreaping, "
                    + "so descendants of functions may outlive them");
            spawner = new JdkSpawner();
        }
        return new ProcessLauncher(spawner);
    }

    /** The JDK fallback regardless of platform (tests compare the two). */
    static ProcessLauncher jdk() {
        return new ProcessLauncher(new JdkSpawner());
    }

    /**
     * Starts {@code executable} (an absolute path: no PATH search per request).
     *
     * @param argv        the argument vector; argv[0] is the command's first word as written
     * @param environment the complete environment of the child, nothing else is inherited
     * @throws IOException when the process cannot be started, e.g. the executable is missing
     */
    public FunctionProcess start(Path executable, List<String> argv, Map<String, String> environment)
            throws IOException {
        return spawner.start(executable, argv, environment, null);
    }

    /**
     * As {@link #start(Path, List, Map)}, for a process whose whole life belongs to one request
     * on {@code loop}: where the platform allows, its exit is awaited and its stderr read on that
     * loop, without waking a thread for each. Its stderr must then be relayed with
     * {@link LogRelay}, which does so on the loop.
     */
    public FunctionProcess start(Path executable, List<String> argv, Map<String, String> environment,
            EventLoop loop) throws IOException {
        return spawner.start(executable, argv, environment, loop);
    }

    /**
     * The room that starting {@code executable} with {@code argv} and {@code environment}
     * leaves for more environment variables, by the platform's limits; computed once, as those
     * three stay fixed, and then asked per start.
     */
    public ArgumentRoom argumentRoom(Path executable, List<String> argv, Map<String, String> environment) {
        return spawner.argumentRoom(executable, argv, environment);
    }

    /**
     * The threads for blocking pipe I/O of every mode. Platform threads, as the pipes are read
     * through native calls that would pin virtual ones; cached, as each exchange with a process
     * keeps a read or a write in flight.
     */
    public Executor io() {
        return io;
    }

    /**
     * Prepares, on {@link #io()}, what the first start would otherwise prepare on the request's
     * time (binding the native calls); for after start-up, which does not wait for it.
     */
    public void prepareInBackground() {
        io.execute(spawner::prepare);
    }

    /** Processes started whose exit has not been collected yet. */
    public int liveProcesses() {
        return spawner.liveProcesses();
    }

    /**
     * Ends what is left of the functions' descendants (those that escaped their process group),
     * SIGTERM then SIGKILL after a grace, and stops helper threads and {@link #io()}; call after the function
     * processes have been ended. Blocks until the leftovers are gone, a few seconds at most.
     */
    @Override
    public void close() {
        io.shutdown();
        spawner.close();
    }
}
