package io.fwatchdog.process;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.fwatchdog.log.Log;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts function processes with glibc's {@code posix_spawn} through the foreign function API,
 * each as the leader of its own process group, with default signal dispositions, enlarged
 * pipes and no inherited descriptors but 0–2. The watchdog is made a child subreaper, so
 * descendants orphaned by their parents come back to it rather than to init (also when the
 * watchdog is PID 1); the {@link Reaper} collects them all.
 */
final class LinuxSpawner implements Spawner {
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

    private final boolean closesInheritedDescriptors;
    private final Reaper reaper = new Reaper();

    LinuxSpawner() {
        LibC.ensureAvailable();
        closesInheritedDescriptors = LibC.hasCloseFrom();
        if (!closesInheritedDescriptors) {
            Log.warn("glibc lacks posix_spawn_file_actions_addclosefrom_np (needs 2.34): "
                    + "function processes may inherit descriptors the JVM opened without CLOEXEC");
        }
    }

    /**
     * The watchdog becomes its functions' subreaper before it starts the first one, and not
     * before it has to: the call is the first through the foreign function API, which pays for
     * setting that API up, and start-up does not wait for it.
     */
    private static final class Subreaper {
        static {
            if (LibC.prctl(LibC.PR_SET_CHILD_SUBREAPER, 1) != 0) {
                Log.warn("cannot become a child subreaper (" + LibC.strerror(LibC.errno())
                        + "): orphaned function descendants will be reaped by init");
            }
        }

        static void ensure() {}
    }

    @Override
    public void prepare() {
        prepareNativeCalls();
    }

    /** Becomes the subreaper and binds every native call: what the first start would do first. */
    static void prepareNativeCalls() {
        Subreaper.ensure();
        LibC.bindAll();
    }

    @Override
    public FunctionProcess start(Path executable, List<String> argv, Map<String, String> environment,
            EventLoop loop) throws IOException {
        Subreaper.ensure();
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
            return spawn(scratch, path, argvArray, envArray, loop != null && LoopWatch.supports(loop) ? loop : null);
        }
    }

    /**
     * {@code loop} when our read end {@code fd} could be made non-blocking for it (the loop must
     * never block; the function's ends stay blocking), else null: threads read it.
     */
    private static EventLoop readerOn(EventLoop loop, int fd) {
        return loop != null && LibC.fcntl(fd, LibC.F_SETFL, LibC.O_NONBLOCK) == 0 ? loop : null;
    }

    private LinuxProcess spawn(MemorySegment scratch, MemorySegment path, MemorySegment argv,
            MemorySegment envp, EventLoop loop) throws IOException {
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
        EventLoop stdoutLoop = readerOn(loop, stdoutRead);
        EventLoop stderrLoop = readerOn(loop, stderrRead);

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
            process = reaper.spawned(() -> {
                int error = LibC.posixSpawn(pid, path, fileActions, attr, argv, envp);
                if (error != 0) {
                    throw LibC.error("cannot run " + path.getString(0), error);
                }
                return new LinuxProcess(pid.get(JAVA_INT, 0), reaper, new PipeChannel(stdinWrite),
                        new PipeChannel(stdoutRead, stdoutLoop), new PipeChannel(stderrRead, stderrLoop));
            }, loop);
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
        return process;
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

    @Override
    public ArgumentRoom argumentRoom(Path executable, List<String> argv, Map<String, String> environment) {
        return ArgumentRoom.linux(LibC.sysconf(LibC.SC_ARG_MAX), LibC.sysconf(LibC.SC_PAGESIZE), ADDRESS.byteSize(),
                executable, argv, environment);
    }

    @Override
    public int liveProcesses() {
        return reaper.liveProcesses();
    }

    /** Ends what the functions left behind and stops reaping; callers end their processes first. */
    @Override
    public void close() {
        reaper.close();
    }
}
