package io.fwatchdog.process;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.fwatchdog.log.Log;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Starts function processes with glibc's {@code posix_spawn} through the foreign function API,
 * each as the leader of its own process group, and reaps them and everything left of their
 * groups. The watchdog is made a child subreaper, so descendants orphaned by their parents come
 * back to it rather than to init, and are reaped here (also when the watchdog is PID 1).
 *
 * <p>Reaping: each process has a waiter on a {@code fwatchdog-reaper-N} platform thread doing
 * {@code waitpid(-pgid)}, which collects the leader's status and any re-parented group member
 * exiting meanwhile. While the leader is unreaped its pid pins the group number, so those waits
 * cannot hit anyone else's processes. Once the leader is reaped, the number becomes reusable
 * as soon as the group is empty, so leftover members are swept by a timer with
 * {@code WNOHANG} while holding {@link #pidLock} exclusively; spawns hold it shared from
 * {@code posix_spawn} until the new process is registered, so a sweep can never collect a
 * fresh process that reused the number. {@code waitpid(-1)} is never used: other code in the
 * JVM (the JDK's process API) reaps its own children by pid.
 *
 * <p>A descendant that left its function's group ({@code setsid}) and outlived its parent is
 * re-parented to the watchdog outside every group it waits on; the same sweep reaps such
 * orphans once they exit, leaving alone children in the JVM's own process group (the JDK's).
 * Such escaped descendants are ended when the launcher is closed: found by their chain of
 * parents in {@code /proc}, which leads to the JVM.
 */
final class LinuxSpawner implements Spawner {
    private static final Duration SWEEP_PERIOD = Duration.ofMillis(200);
    /** How long processes sent SIGKILL get to be gone; only one stuck in the kernel takes longer. */
    private static final Duration KILL_WAIT = Duration.ofSeconds(2);
    /**
     * The open launchers of this JVM (tests run several). An orphan that left its function's
     * group and outlived its parent names no launcher: only a launcher open alone may end it.
     */
    private static final Set<LinuxSpawner> OPEN = ConcurrentHashMap.newKeySet();
    /** Capacity asked for the stdin and stdout pipes; the kernel default is 64 KiB. */
    private static final int PIPE_BYTES = 256 * 1024;

    // Scratch layout for one spawn, sliced out of a single allocation.
    private static final long FILE_ACTIONS = 0;
    private static final long ATTR = FILE_ACTIONS + LibC.SPAWN_STRUCT_BYTES;
    private static final long SIGMASK = ATTR + LibC.SPAWN_STRUCT_BYTES;
    private static final long SIGDEFAULT = SIGMASK + LibC.SIGSET_BYTES;
    private static final long PIPES = SIGDEFAULT + LibC.SIGSET_BYTES;
    private static final long PID = PIPES + 6 * Integer.BYTES;
    private static final long SCRATCH_BYTES = PID + Integer.BYTES;

    private final ExecutorService reapers = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("fwatchdog-reaper-", 1).stackSize(256 * 1024).factory());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("fwatchdog-process-timer").factory());
    /** Started processes whose leader is not reaped yet, by pid (= process group id). */
    private final Map<Integer, LinuxProcess> live = new ConcurrentHashMap<>();
    /** Groups whose leader is reaped but members may remain, by process group id. */
    private final Map<Integer, LinuxProcess> lingering = new ConcurrentHashMap<>();
    private final ReentrantReadWriteLock pidLock = new ReentrantReadWriteLock();
    private final boolean closesInheritedDescriptors;
    /** The JVM's own process group, where the JDK's process API leaves its children. */
    private final int ownGroup = processGroup(ProcessHandle.current().pid());

    LinuxSpawner() {
        LibC.ensureAvailable();
        if (LibC.prctl(LibC.PR_SET_CHILD_SUBREAPER, 1) != 0) {
            Log.warn("cannot become a child subreaper (" + LibC.strerror(LibC.errno())
                    + "): orphaned function descendants will be reaped by init");
        }
        closesInheritedDescriptors = LibC.hasCloseFrom();
        if (!closesInheritedDescriptors) {
            Log.warn("glibc lacks posix_spawn_file_actions_addclosefrom_np (needs 2.34): "
                    + "function processes may inherit descriptors the JVM opened without CLOEXEC");
        }
        long period = SWEEP_PERIOD.toMillis();
        timer.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
        OPEN.add(this);
    }

    @Override
    public FunctionProcess start(Path executable, List<String> argv, Map<String, String> environment)
            throws IOException {
        requireNonNull(executable, "executable");
        requireNonNull(argv, "argv");
        requireNonNull(environment, "environment");
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv: [] (expected: at least the command name)");
        }
        List<byte[]> strings = new ArrayList<>(1 + argv.size() + environment.size());
        strings.add(cString(executable.toString()));
        for (String arg : argv) {
            strings.add(cString(arg));
        }
        for (Map.Entry<String, String> variable : environment.entrySet()) {
            strings.add(cString(variable.getKey() + "=" + variable.getValue()));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment scratch = arena.allocate(SCRATCH_BYTES, 16);
            MemorySegment path = packStrings(arena, strings);
            MemorySegment argvArray = pointerArray(arena, path, strings, 1, argv.size());
            MemorySegment envArray = pointerArray(arena, path, strings, 1 + argv.size(), environment.size());
            return spawn(scratch, path, argvArray, envArray);
        }
    }

    private LinuxProcess spawn(MemorySegment scratch, MemorySegment path, MemorySegment argv,
            MemorySegment envp) throws IOException {
        MemorySegment pipes = scratch.asSlice(PIPES, 6 * Integer.BYTES);
        int opened = 0;
        try {
            for (; opened < 3; opened++) {
                if (LibC.pipe2(pipes.asSlice(opened * 2L * Integer.BYTES), LibC.O_CLOEXEC) != 0) {
                    throw LibC.error("pipe2", LibC.errno());
                }
            }
        } catch (IOException e) {
            closeAll(pipes, opened * 2, -1);
            throw e;
        }
        // [0]/[1] stdin read/write, [2]/[3] stdout, [4]/[5] stderr; the child gets 0, 3 and 5.
        // Larger body pipes move a stream in fewer, larger reads and writes, each of which
        // costs a wake-up on both sides. Refused past the kernel's per-user pipe quota (the
        // pipe then keeps its default size), which is harmless.
        LibC.fcntl(pipes.getAtIndex(JAVA_INT, 1), LibC.F_SETPIPE_SZ, PIPE_BYTES);
        LibC.fcntl(pipes.getAtIndex(JAVA_INT, 3), LibC.F_SETPIPE_SZ, PIPE_BYTES);
        int stdinRead = pipes.getAtIndex(JAVA_INT, 0);
        int stdinWrite = pipes.getAtIndex(JAVA_INT, 1);
        int stdoutRead = pipes.getAtIndex(JAVA_INT, 2);
        int stdoutWrite = pipes.getAtIndex(JAVA_INT, 3);
        int stderrRead = pipes.getAtIndex(JAVA_INT, 4);
        int stderrWrite = pipes.getAtIndex(JAVA_INT, 5);

        MemorySegment fileActions = scratch.asSlice(FILE_ACTIONS, LibC.SPAWN_STRUCT_BYTES);
        MemorySegment attr = scratch.asSlice(ATTR, LibC.SPAWN_STRUCT_BYTES);
        LinuxProcess process = null;
        boolean fileActionsReady = false;
        boolean attrReady = false;
        try {
            check("posix_spawn_file_actions_init", LibC.fileActionsInit(fileActions));
            fileActionsReady = true;
            check("posix_spawn_file_actions_adddup2", LibC.fileActionsAddDup2(fileActions, stdinRead, 0));
            check("posix_spawn_file_actions_adddup2", LibC.fileActionsAddDup2(fileActions, stdoutWrite, 1));
            check("posix_spawn_file_actions_adddup2", LibC.fileActionsAddDup2(fileActions, stderrWrite, 2));
            if (closesInheritedDescriptors) {
                // The JVM's listening sockets and others must not leak into functions.
                check("posix_spawn_file_actions_addclosefrom_np", LibC.fileActionsAddCloseFrom(fileActions, 3));
            }
            check("posix_spawnattr_init", LibC.spawnAttrInit(attr));
            attrReady = true;
            // The JVM blocks and handles signals that a function must see with default behaviour.
            MemorySegment sigmask = scratch.asSlice(SIGMASK, LibC.SIGSET_BYTES);
            MemorySegment sigdefault = scratch.asSlice(SIGDEFAULT, LibC.SIGSET_BYTES);
            LibC.sigemptyset(sigmask);
            LibC.sigfillset(sigdefault);
            check("posix_spawnattr_setflags", LibC.spawnAttrSetFlags(attr, (short) (LibC.POSIX_SPAWN_SETPGROUP
                    | LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF)));
            check("posix_spawnattr_setpgroup", LibC.spawnAttrSetPgroup(attr, 0));
            check("posix_spawnattr_setsigmask", LibC.spawnAttrSetSigmask(attr, sigmask));
            check("posix_spawnattr_setsigdefault", LibC.spawnAttrSetSigdefault(attr, sigdefault));

            MemorySegment pid = scratch.asSlice(PID, Integer.BYTES);
            pidLock.readLock().lock();
            try {
                int error = LibC.posixSpawn(pid, path, fileActions, attr, argv, envp);
                if (error != 0) {
                    throw LibC.error("cannot run " + path.getString(0), error);
                }
                int childPid = pid.get(JAVA_INT, 0);
                process = new LinuxProcess(childPid, this, new PipeChannel(stdinWrite),
                        new PipeChannel(stdoutRead), new PipeChannel(stderrRead));
                live.put(childPid, process);
                // A group we still tracked under this number must have emptied for it to be reused.
                LinuxProcess previous = lingering.remove(childPid);
                if (previous != null) {
                    previous.groupGone();
                }
            } finally {
                pidLock.readLock().unlock();
            }
        } finally {
            if (fileActionsReady) {
                LibC.fileActionsDestroy(fileActions);
            }
            if (attrReady) {
                LibC.spawnAttrDestroy(attr);
            }
            // The child has its own copies now; ours would hide end-of-file from both sides.
            LibC.close(stdinRead);
            LibC.close(stdoutWrite);
            LibC.close(stderrWrite);
            if (process == null) {
                LibC.close(stdinWrite);
                LibC.close(stdoutRead);
                LibC.close(stderrRead);
            }
        }
        LinuxProcess started = process;
        try {
            reapers.execute(() -> reap(started));
        } catch (RejectedExecutionException e) {
            started.kill();
            throw new IOException("process launcher is closed", e);
        }
        return started;
    }

    private static void check(String call, int error) throws IOException {
        if (error != 0) {
            throw LibC.error(call, error);
        }
    }

    private static void closeAll(MemorySegment fds, int count, int except) {
        for (int i = 0; i < count; i++) {
            int fd = fds.getAtIndex(JAVA_INT, i);
            if (fd != except) {
                LibC.close(fd);
            }
        }
    }

    private static byte[] cString(String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("argument or variable contains a NUL character: " + s);
        }
        return s.getBytes(UTF_8);
    }

    /** All strings, NUL-terminated, back to back in one segment; the first is the path. */
    private static MemorySegment packStrings(Arena arena, List<byte[]> strings) {
        long size = 0;
        for (byte[] s : strings) {
            size += s.length + 1;
        }
        MemorySegment block = arena.allocate(size);
        long offset = 0;
        for (byte[] s : strings) {
            MemorySegment.copy(s, 0, block, JAVA_BYTE, offset, s.length);
            offset += s.length + 1;
        }
        return block;
    }

    /** A NULL-terminated {@code char *[]} pointing at {@code count} strings of the packed block. */
    private static MemorySegment pointerArray(Arena arena, MemorySegment block, List<byte[]> strings,
            int first, int count) {
        long offset = 0;
        for (int i = 0; i < first; i++) {
            offset += strings.get(i).length + 1;
        }
        MemorySegment array = arena.allocate(ADDRESS, count + 1L);
        for (int i = 0; i < count; i++) {
            array.setAtIndex(ADDRESS, i, block.asSlice(offset));
            offset += strings.get(first + i).length + 1;
        }
        return array;
    }

    /** Runs on a reaper thread until the leader is reaped. */
    private void reap(LinuxProcess process) {
        int pgid = (int) process.pid();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(JAVA_INT);
            while (true) {
                int reaped = LibC.waitpid(-pgid, status, 0);
                if (reaped == pgid) {
                    live.remove(pgid);
                    process.exited(decode(status.get(JAVA_INT, 0)));
                    break;
                }
                if (reaped > 0) {
                    continue; // a re-parented member of the group
                }
                int errno = LibC.errno();
                if (errno == LibC.EINTR) {
                    continue;
                }
                // Only a waitpid(-1) elsewhere in the JVM could have taken the leader from us.
                live.remove(pgid);
                process.lost(LibC.error("waitpid(" + -pgid + ")", errno));
                return;
            }
        }
        if (groupExists(pgid)) {
            lingering.put(pgid, process);
            sweepLingering();
        } else {
            process.groupGone();
        }
    }

    /** The timer's round: lingering groups, then orphans. */
    private void sweep() {
        sweepLingering();
        pidLock.writeLock().lock();
        try (Arena arena = Arena.ofConfined()) {
            reapOrphans(arena.allocate(LibC.SIGINFO_BYTES, 8), arena.allocate(JAVA_INT));
        } catch (RuntimeException e) {
            Log.error("reaping orphaned function processes failed", e);
        } finally {
            pidLock.writeLock().unlock();
        }
    }

    /** Reaps what has exited of groups whose leader is gone; forgets groups that are empty. */
    private void sweepLingering() {
        if (lingering.isEmpty()) {
            return;
        }
        pidLock.writeLock().lock();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(JAVA_INT);
            for (Iterator<Map.Entry<Integer, LinuxProcess>> it = lingering.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Integer, LinuxProcess> group = it.next();
                int pgid = group.getKey();
                while (true) {
                    int reaped = LibC.waitpid(-pgid, status, LibC.WNOHANG);
                    if (reaped > 0 || (reaped < 0 && LibC.errno() == LibC.EINTR)) {
                        continue;
                    }
                    break; // 0: members still running; ECHILD: none of them is our child (yet)
                }
                if (!groupExists(pgid)) {
                    it.remove();
                    group.getValue().groupGone();
                }
            }
        } catch (RuntimeException e) {
            Log.error("sweeping exited function processes failed", e);
        } finally {
            pidLock.writeLock().unlock();
        }
    }

    /**
     * Reaps exited children that no reaper thread waits for. {@code WNOWAIT} peeks at one exited
     * child without collecting it; it is collected only when it is neither a leader (its reaper
     * wants the status) nor in the JVM's own group (the JDK's process API wants it). Called with
     * the pid lock held exclusively, so a process spawned but not yet registered is never taken.
     */
    private void reapOrphans(MemorySegment info, MemorySegment status) {
        while (true) {
            info.fill((byte) 0);
            if (LibC.waitid(LibC.P_ALL, 0, info, LibC.WEXITED | LibC.WNOHANG | LibC.WNOWAIT) != 0) {
                return; // ECHILD: no children at all
            }
            int pid = info.get(JAVA_INT, LibC.SIGINFO_PID);
            if (pid <= 0 || live.containsKey(pid) || processGroup(pid) == ownGroup) {
                return; // nothing exited, or the next one is someone else's to collect
            }
            if (LibC.waitpid(pid, status, LibC.WNOHANG) != pid) {
                return;
            }
        }
    }

    /** A process's group from {@code /proc/PID/stat} (zombies included); -1 when it is gone. */
    static int processGroup(long pid) {
        try {
            return Integer.parseInt(ProcessTable.stat(pid)[2]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** True while any process, zombies included, is in the group. */
    static boolean groupExists(int pgid) {
        return LibC.kill(-pgid, 0) == 0 || LibC.errno() != LibC.ESRCH;
    }

    static ExitStatus decode(int status) {
        int termsig = status & 0x7f;
        return termsig == 0 ? ExitStatus.exited((status >> 8) & 0xff) : ExitStatus.killed(termsig);
    }

    void schedule(Runnable task, Duration delay) {
        try {
            timer.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            task.run(); // closed: do now what would have been done later
        }
    }

    @Override
    public ArgumentRoom argumentRoom(Path executable, List<String> argv, Map<String, String> environment) {
        return ArgumentRoom.linux(LibC.sysconf(LibC.SC_ARG_MAX), LibC.sysconf(LibC.SC_PAGESIZE), ADDRESS.byteSize(),
                executable, argv, environment);
    }

    @Override
    public int liveProcesses() {
        return live.size();
    }

    /**
     * Ends what the functions left behind (see {@link #endLeftovers}), then stops the timer and
     * lets idle reaper threads end. Reapers still waiting for a process keep going until it exits
     * (they are daemon threads); callers end their processes first.
     */
    @Override
    public void close() {
        try {
            endLeftovers();
        } catch (RuntimeException e) {
            Log.error("ending processes left behind by functions failed", e);
        } finally {
            OPEN.remove(this);
            timer.shutdownNow();
            reapers.shutdown();
        }
    }

    /**
     * Ends this launcher's share of the JVM's descendants that still run once the functions have
     * been ended: processes that left their function's group, whatever they started, and
     * functions still on their way out. SIGTERM, SIGKILL after {@link FunctionProcess#KILL_GRACE}, and their
     * exits collected, as orphans come back to the JVM. A process forked meanwhile is found by the
     * next look and signalled too. An interrupt (a second shutdown signal) skips the grace.
     */
    private void endLeftovers() {
        Set<Long> ours = new HashSet<>();
        List<Long> left = leftovers(ours);
        if (left.isEmpty()) {
            return;
        }
        Log.info("shutdown: ending " + left.size() + " leftover function processes (pids " + left + ")");
        boolean hurry = Thread.interrupted();
        Set<Long> signalled = new HashSet<>();
        Set<Long> killed = new HashSet<>();
        long killAt = System.nanoTime() + FunctionProcess.KILL_GRACE.toNanos();
        boolean killing = false;
        long giveUpAt = 0;
        try {
            while (true) {
                if (!killing && (hurry || System.nanoTime() - killAt >= 0)) {
                    killing = true;
                    giveUpAt = System.nanoTime() + KILL_WAIT.toNanos();
                }
                for (long pid : left) {
                    // Seen alive a moment ago: for the pid to name another process by now, the
                    // kernel would have had to hand out every other pid in between.
                    if (killing ? killed.add(pid) : signalled.add(pid)) {
                        LibC.kill((int) pid, killing ? LibC.SIGKILL : LibC.SIGTERM);
                    }
                }
                signalled.addAll(killed);
                signalled.removeIf(LinuxSpawner::collect);
                left = leftovers(ours);
                if (left.isEmpty() && signalled.isEmpty()) {
                    return;
                }
                if (killing && System.nanoTime() - giveUpAt >= 0) {
                    Log.warn("shutdown: leftover function processes still run after SIGKILL: " + left);
                    return;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    hurry = true;
                }
            }
        } finally {
            if (hurry) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Collects {@code pid} if it has exited as a child of the JVM (where an ended orphan's exit
     * comes to); true once it is gone altogether.
     */
    private static boolean collect(long pid) {
        // A function's own exit is for its reaper thread.
        if (OPEN.stream().noneMatch(spawner -> spawner.live.containsKey((int) pid))) {
            try (Arena arena = Arena.ofConfined()) {
                LibC.waitpid((int) pid, arena.allocate(JAVA_INT), LibC.WNOHANG);
            }
        }
        return processGroup(pid) < 0;
    }

    /**
     * This launcher's share of the JVM's living descendants, judged by the child of the JVM each
     * descends from: not the JDK's (in the JVM's own group), and a function of this launcher, in
     * a group of it, or an orphan that names no launcher when this one is open alone. Once judged
     * so, a process stays in {@code ours}: ending its parent may orphan it, which hides its origin.
     */
    private List<Long> leftovers(Set<Long> ours) {
        ProcessTable table = ProcessTable.read();
        boolean alone = OPEN.size() == 1 && OPEN.contains(this);
        List<Long> mine = new ArrayList<>();
        table.descendants(ProcessHandle.current().pid()).forEach((pid, top) -> {
            if (ours.contains(pid) || owns(top, table.get(top).pgid(), alone)) {
                ours.add(pid);
                mine.add(pid);
            }
        });
        return mine;
    }

    /** Whether the subtree of {@code top}, a child of the JVM in process group {@code group}, is this launcher's. */
    private boolean owns(long top, long group, boolean alone) {
        if (group == ownGroup) {
            return false; // started by the JDK's process API
        }
        LinuxSpawner owner = ownerOf(top, group);
        return owner == this || (owner == null && alone);
    }

    /** The open launcher that started {@code pid} or process group {@code group}; null if none. */
    private static LinuxSpawner ownerOf(long pid, long group) {
        for (LinuxSpawner spawner : OPEN) {
            if (spawner.live.containsKey((int) pid) || spawner.live.containsKey((int) group)
                    || spawner.lingering.containsKey((int) group)) {
                return spawner;
            }
        }
        return null;
    }
}
