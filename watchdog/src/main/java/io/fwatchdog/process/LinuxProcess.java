package io.fwatchdog.process;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A process started by {@link LinuxSpawner}, leading its own process group.
 *
 * <p>Signals go to the whole group by number. The number is safe to use while the leader is
 * unreaped (its pid pins it), and after that only while the group is known to have members:
 * once the reaper sees it empty, {@link #groupGone()} stops all signalling, because the
 * number may then be handed to a new process.
 */
final class LinuxProcess implements FunctionProcess {
    private final int pid;
    private final Reaper reaper;
    private final PipeChannel stdin;
    private final PipeChannel stdout;
    private final PipeChannel stderr;
    /** Completed on a reaper thread: dependent stages must not block. */
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private final AtomicBoolean terminating = new AtomicBoolean();
    private volatile boolean groupGone;

    LinuxProcess(int pid, Reaper reaper, PipeChannel stdin, PipeChannel stdout, PipeChannel stderr) {
        this.pid = pid;
        this.reaper = reaper;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public WritableByteChannel stdin() {
        return stdin;
    }

    @Override
    public long unreadInput() {
        return stdin.unread();
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

    /**
     * Asks the kernel with {@code WNOWAIT}, which leaves the zombie to the reaper thread; a
     * failure (the leader already reaped) also means exited.
     */
    @Override
    public boolean exited() {
        if (exit.isDone()) {
            return true;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(LibC.SIGINFO_BYTES); // zeroed: si_pid stays 0 if nothing exited
            if (LibC.waitid(LibC.P_PID, pid, info, LibC.WEXITED | LibC.WNOHANG | LibC.WNOWAIT) != 0) {
                return true;
            }
            return info.get(ValueLayout.JAVA_INT, LibC.SIGINFO_PID) != 0;
        }
    }

    @Override
    public void terminate(Duration grace) {
        if (!terminating.compareAndSet(false, true)) {
            return;
        }
        if (!signalGroup(LibC.SIGTERM)) {
            // Nothing left to end, as when a function's group is ended after its exit: no
            // SIGKILL timer, which would otherwise wake a thread for every request.
            return;
        }
        reaper.schedule(() -> {
            if (!groupGone && Reaper.groupExists(pid)) {
                signalGroup(LibC.SIGKILL);
            }
        }, grace);
    }

    @Override
    public void kill() {
        signalGroup(LibC.SIGKILL);
    }

    /** False when there was no one to signal: the group is gone (ESRCH) or known to be. */
    private boolean signalGroup(int signal) {
        if (groupGone) {
            return false;
        }
        // ESRCH: the group ended meanwhile, which is what we want. An unreaped leader is still
        // a member, so this cannot happen before its exit is collected.
        return LibC.kill(-pid, signal) == 0 || LibC.errno() != LibC.ESRCH;
    }

    void exited(ExitStatus status) {
        exit.complete(status);
    }

    void lost(IOException cause) {
        exit.completeExceptionally(cause);
    }

    void groupGone() {
        groupGone = true;
    }

    @Override
    public String toString() {
        return "process " + pid;
    }
}
