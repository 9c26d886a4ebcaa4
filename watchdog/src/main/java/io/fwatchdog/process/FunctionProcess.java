package io.fwatchdog.process;

import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A started function process, leader of its own process group.
 *
 * <p>The three pipes are blocking channels: callers read and write them on threads they own,
 * never on an event loop. Closing {@link #stdin()} gives the process end-of-file. Reads and
 * writes accept direct buffers without copying.
 */
public interface FunctionProcess {
    /** Between SIGTERM and SIGKILL whenever the watchdog ends a process tree, in every mode. */
    Duration KILL_GRACE = Duration.ofSeconds(2);

    long pid();

    WritableByteChannel stdin();

    /**
     * Bytes written to {@link #stdin()} that the process has not read yet, or -1 when the
     * platform cannot tell (or stdin is closed).
     */
    default long unreadInput() {
        return -1;
    }

    ReadableByteChannel stdout();

    ReadableByteChannel stderr();

    /** Completes once the process itself has exited and been reaped. */
    CompletableFuture<ExitStatus> onExit();

    /**
     * True once the process has exited, also when its exit has not been collected yet (a
     * zombie): a cheap check for a process that is to be handed work. Never blocks.
     */
    default boolean exited() {
        return onExit().isDone();
    }

    /**
     * Ends the whole process tree: SIGTERM to the group now, SIGKILL to the group after
     * {@code grace} if anything of it is still running. Idempotent; safe from any thread;
     * never blocks. Descendants re-parented to the watchdog are reaped as well.
     */
    void terminate(Duration grace);

    /** SIGKILL to the whole group now. Idempotent; safe from any thread; never blocks. */
    void kill();
}
