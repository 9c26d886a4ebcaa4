package io.fwatchdog.process;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.fwatchdog.log.Log;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Reaps what {@link LinuxSpawner} starts: each function process, everything left of its process
 * group, and descendants that left the group and came back to the watchdog as its subreaper.
 *
 * <p>Each process has a waiter on a {@code fwatchdog-reaper-N} platform thread doing
 * {@code waitpid(-pgid)}, which collects the leader's status and any re-parented group member
 * exiting meanwhile. While the leader is unreaped its pid pins the group number, so those waits
 * cannot hit anyone else's processes. A process started for a Netty epoll event loop has none:
 * the loop watches its pidfd and collects it with {@code WNOHANG} once it exited (members that
 * exited before it come with it, or with the sweep below). Once the leader is reaped, the number becomes reusable
 * as soon as the group is empty, so leftover members are swept by a timer with
 * {@code WNOHANG} while holding {@link #pidLock} exclusively; spawns hold it shared from
 * {@code posix_spawn} until the new process is registered ({@link #spawned}), so a sweep can
 * never collect a fresh process that reused the number. {@code waitpid(-1)} is never used: other
 * code in the JVM (the JDK's process API) reaps its own children by pid.
 *
 * <p>A descendant that left its function's group ({@code setsid}) and outlived its parent is
 * re-parented to the watchdog outside every group it waits on; the same sweep reaps such
 * orphans once they exit, leaving alone children in the JVM's own process group (the JDK's).
 * Such escaped descendants are ended when the launcher is closed: found by their chain of
 * parents in {@code /proc}, which leads to the JVM.
 */
final class Reaper {
    private static final Duration SWEEP_PERIOD = Duration.ofMillis(200);
    /** How long processes sent SIGKILL get to be gone; only one stuck in the kernel takes longer. */
    private static final Duration KILL_WAIT = Duration.ofSeconds(2);
    /**
     * The open launchers' reapers in this JVM (tests run several). An orphan that left its
     * function's group and outlived its parent names no launcher: only one open alone may end it.
     */
    private static final Set<Reaper> OPEN = ConcurrentHashMap.newKeySet();

    private static final boolean PIDFD = LibC.hasPidfd();
    /** A status word per thread for collecting exits on event loops. */
    private static final ThreadLocal<MemorySegment> STATUS =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(JAVA_INT));

    private final ExecutorService reapers = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("fwatchdog-reaper-", 1).stackSize(256 * 1024).factory());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("fwatchdog-process-timer").factory());
    /** Started processes whose leader is not reaped yet, by pid (= process group id). */
    private final Map<Integer, LinuxProcess> live = new ConcurrentHashMap<>();
    /** Groups whose leader is reaped but members may remain, by process group id. */
    private final Map<Integer, LinuxProcess> lingering = new ConcurrentHashMap<>();
    private final ReentrantReadWriteLock pidLock = new ReentrantReadWriteLock();
    /** The JVM's own process group, where the JDK's process API leaves its children. */
    private final int ownGroup = processGroup(ProcessHandle.current().pid());

    /** The part of a spawn that runs under the pid lock: starting the process. */
    @FunctionalInterface
    interface Spawn {
        LinuxProcess start() throws IOException;
    }

    Reaper() {
        long period = SWEEP_PERIOD.toMillis();
        timer.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
        OPEN.add(this);
    }

    /**
     * Runs {@code spawn}, which starts one process, and registers what it started before any
     * sweep can run; then sets {@code loop} watching for its exit, or a reaper thread waiting.
     *
     * @param loop an event loop that {@link LoopWatch#supports}, or null
     * @throws IOException what {@code spawn} throws, or when the launcher is closed
     */
    LinuxProcess spawned(Spawn spawn, EventLoop loop) throws IOException {
        LinuxProcess process;
        pidLock.readLock().lock();
        try {
            process = spawn.start();
            int pid = (int) process.pid();
            live.put(pid, process);
            // A group we still tracked under this number must have emptied for it to be reused.
            LinuxProcess previous = lingering.remove(pid);
            if (previous != null) {
                previous.groupGone();
            }
        } finally {
            pidLock.readLock().unlock();
        }
        if (loop != null && watchOnLoop(process, loop)) {
            return process;
        }
        try {
            reapers.execute(() -> reap(process));
        } catch (RejectedExecutionException e) {
            process.kill();
            throw new IOException("process launcher is closed", e);
        }
        return process;
    }

    /**
     * Awaits the leader's exit on {@code loop} through a pidfd, which spares a reaper thread's
     * wake-up and its hand-off to the loop per process; false when the platform cannot, and a
     * reaper thread must wait instead.
     */
    private boolean watchOnLoop(LinuxProcess process, EventLoop loop) {
        if (!PIDFD) {
            return false;
        }
        int pidfd = LibC.pidfdOpen((int) process.pid());
        if (pidfd < 0) {
            return false;
        }
        LoopWatch[] watch = new LoopWatch[1];
        watch[0] = LoopWatch.watch(loop, pidfd, () -> {
            watch[0].cancel();
            LibC.close(pidfd);
            if (!reapExited(process)) {
                handToThread(process);
            }
        }, () -> {
            LibC.close(pidfd);
            handToThread(process);
        });
        return true;
    }

    /** A reaper thread takes over a process the loop no longer watches (it stops). */
    private void handToThread(LinuxProcess process) {
        try {
            reapers.execute(() -> reap(process));
        } catch (RejectedExecutionException e) {
            process.kill(); // the launcher is closed: nothing will wait for it
        }
    }

    /**
     * Collects the exited leader without blocking (and group members re-parented to us that
     * exited before it), then follows its group as {@link #reap} does; false when the leader
     * turns out not to have exited.
     */
    private boolean reapExited(LinuxProcess process) {
        int pgid = (int) process.pid();
        MemorySegment status = STATUS.get();
        while (true) {
            int reaped = LibC.waitpid(-pgid, status, LibC.WNOHANG);
            if (reaped == pgid) {
                live.remove(pgid);
                process.exited(decode(status.get(JAVA_INT, 0)));
                break;
            }
            if (reaped > 0) {
                continue;
            }
            if (reaped == 0) {
                return false;
            }
            int errno = LibC.errno();
            if (errno == LibC.EINTR) {
                continue;
            }
            live.remove(pgid);
            process.lost(LibC.error("waitpid(" + -pgid + ")", errno));
            return true;
        }
        followGroup(process, pgid);
        return true;
    }

    int liveProcesses() {
        return live.size();
    }

    /**
     * Ends what the functions left behind (see {@link #endLeftovers}), then stops the timer and
     * lets idle reaper threads end. Reapers still waiting for a process keep going until it exits
     * (they are daemon threads); callers end their processes first.
     */
    void close() {
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
        followGroup(process, pgid);
    }

    /** After the leader's exit: its group is forgotten once empty, or swept until it is. */
    private void followGroup(LinuxProcess process, int pgid) {
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
            if (pid <= 0) {
                return; // nothing has exited
            }
            if (live.containsKey(pid) || processGroup(pid) == ownGroup) {
                // Someone else's to collect; waitid would show it first for as long as it stays,
                // which may be for good (an orphan of a JDK child), so look past it.
                reapOrphansBehind(status);
                return;
            }
            if (LibC.waitpid(pid, status, LibC.WNOHANG) != pid) {
                return;
            }
        }
    }

    /** Collects each exited child of the JVM that no reaper thread and no JDK process waits for. */
    private void reapOrphansBehind(MemorySegment status) {
        ProcessHandle.current().children().forEach(child -> {
            int pid = (int) child.pid();
            if (!live.containsKey(pid) && exitedOutside(pid, ownGroup)) {
                LibC.waitpid(pid, status, LibC.WNOHANG);
            }
        });
    }

    /** True for a zombie (exited, not yet collected) that is not in {@code group}; one read of its stat. */
    private static boolean exitedOutside(long pid, int group) {
        try {
            String[] stat = ProcessTable.stat(pid);
            return stat[0].equals("Z") && Integer.parseInt(stat[2]) != group;
        } catch (IOException | RuntimeException e) {
            return false;
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
                signalled.removeIf(Reaper::collect);
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
        Reaper owner = ownerOf(top, group);
        return owner == this || (owner == null && alone);
    }

    /** The open launcher that started {@code pid} or process group {@code group}; null if none. */
    private static Reaper ownerOf(long pid, long group) {
        for (Reaper spawner : OPEN) {
            if (spawner.live.containsKey((int) pid) || spawner.live.containsKey((int) group)
                    || spawner.lingering.containsKey((int) group)) {
                return spawner;
            }
        }
        return null;
    }
}
