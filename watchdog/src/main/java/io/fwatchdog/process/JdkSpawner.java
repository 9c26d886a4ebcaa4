package io.fwatchdog.process;

import static java.util.Objects.requireNonNull;

import io.netty.channel.EventLoop;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts processes with the JDK's {@link ProcessBuilder}, for platforms without the native
 * launcher. It has no process groups and no subreaping: termination reaches the descendants the
 * JDK can still see ({@link ProcessHandle#descendants()}), which misses re-parented ones, and
 * argv[0] is the executable path rather than the word the user wrote.
 */
final class JdkSpawner implements Spawner {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("fwatchdog-process-timer").factory());
    private final AtomicInteger live = new AtomicInteger();

    @Override
    public FunctionProcess start(Path executable, List<String> argv, Map<String, String> environment,
            EventLoop loop)
            throws IOException {
        requireNonNull(executable, "executable");
        requireNonNull(environment, "environment");
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv: [] (expected: at least the command name)");
        }
        List<String> command = new ArrayList<>(argv);
        command.set(0, executable.toString());
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(environment);
        Process process = builder.start();
        live.incrementAndGet();
        CompletableFuture<ExitStatus> exit = process.onExit().thenApply(p -> {
            live.decrementAndGet();
            // The JDK reports death by signal N as 128 + N; that is the best it tells us.
            return ExitStatus.exited(p.exitValue());
        });
        return new JdkProcess(process, exit);
    }

    /** Unknown: the platform's limits are not read here, so a start that exceeds them fails. */
    @Override
    public ArgumentRoom argumentRoom(Path executable, List<String> argv, Map<String, String> environment) {
        return ArgumentRoom.UNKNOWN;
    }

    @Override
    public int liveProcesses() {
        return live.get();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    private final class JdkProcess implements FunctionProcess {
        private final Process process;
        private final CompletableFuture<ExitStatus> exit;
        private final WritableByteChannel stdin;
        private final ReadableByteChannel stdout;
        private final ReadableByteChannel stderr;

        JdkProcess(Process process, CompletableFuture<ExitStatus> exit) {
            this.process = process;
            this.exit = exit;
            this.stdin = Channels.newChannel(process.getOutputStream());
            this.stdout = Channels.newChannel(process.getInputStream());
            this.stderr = Channels.newChannel(process.getErrorStream());
        }

        @Override
        public long pid() {
            return process.pid();
        }

        @Override
        public WritableByteChannel stdin() {
            return stdin;
        }

        @Override
        public ReadableByteChannel stdout() {
            return stdout;
        }

        @Override
        public ReadableByteChannel stderr() {
            return stderr;
        }

        @Override
        public CompletableFuture<ExitStatus> onExit() {
            return exit;
        }

        @Override
        public void terminate(Duration grace) {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            if (!timer.isShutdown()) {
                timer.schedule(this::kill, grace.toNanos(), TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public void kill() {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }

        @Override
        public String toString() {
            return "process " + process.pid();
        }
    }
}
