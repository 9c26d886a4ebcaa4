package io.fwatchdog.process;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The glibc calls the native launcher needs, through the foreign function API (no JNI), each
 * bound once, on first use. Loading this class fails when a required symbol is missing, which is
 * how {@link ProcessLauncher#create()} detects that the platform is not Linux/glibc.
 *
 * <p>Calls that report through {@code errno} capture it into a per-thread segment: the value
 * in the C library's thread-local would be gone by the time Java code could read it.
 */
final class LibC {
    static final int EINTR = 4;
    static final int ECHILD = 10;
    static final int ESRCH = 3;
    static final int EPIPE = 32;
    static final int EAGAIN = 11;

    static final int SIGKILL = 9;
    static final int SIGTERM = 15;

    static final int O_CLOEXEC = 0x80000;
    static final int WNOHANG = 1;
    static final int WEXITED = 4;
    static final int WNOWAIT = 0x01000000;
    static final int P_ALL = 0;
    static final int P_PID = 1;
    static final int F_SETPIPE_SZ = 1031;
    static final int F_SETFL = 4;
    static final int O_NONBLOCK = 0x800;
    /** ioctl: bytes waiting in a pipe (either end) or socket. */
    static final long FIONREAD = 0x541B;
    static final int PR_SET_CHILD_SUBREAPER = 36;
    static final int SC_ARG_MAX = 0;
    static final int SC_PAGESIZE = 30;

    static final short POSIX_SPAWN_SETPGROUP = 0x02;
    static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    static final short POSIX_SPAWN_SETSIGMASK = 0x08;

    /**
     * {@code posix_spawn_file_actions_t} (80 bytes on x86-64 glibc) and
     * {@code posix_spawnattr_t} (336 bytes) are opaque; allocating more than glibc uses on any
     * architecture keeps us independent of their layout.
     */
    static final long SPAWN_STRUCT_BYTES = 512;
    /** {@code siginfo_t} is 128 bytes; {@code si_pid} follows three ints, 8-aligned, on 64-bit Linux. */
    static final long SIGINFO_BYTES = 128;
    static final long SIGINFO_PID = 16;
    /** {@code sigset_t} is 1024 bits in glibc. */
    static final long SIGSET_BYTES = 128;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** glibc 2.34 and later; without it the child relies on every JVM descriptor being CLOEXEC. */
    private static final Optional<MemorySegment> CLOSE_FROM =
            LINKER.defaultLookup().find("posix_spawn_file_actions_addclosefrom_np");

    /** glibc 2.36 and later (Linux 5.3); without it exits are awaited on reaper threads. */
    private static final Optional<MemorySegment> PIDFD_OPEN = LINKER.defaultLookup().find("pidfd_open");

    /** One errno slot per thread, freed with the thread. */
    private static final ThreadLocal<MemorySegment> ERRNO_SLOT =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    /**
     * Every symbol a group below binds, looked up when this class loads (a cheap table lookup,
     * which fails the loading when one is missing); the groups bind from this table.
     */
    private static final Map<String, MemorySegment> SYMBOLS = Stream.of(
                    "posix_spawn", "posix_spawn_file_actions_init", "posix_spawn_file_actions_destroy",
                    "posix_spawn_file_actions_adddup2", "posix_spawnattr_init", "posix_spawnattr_destroy",
                    "posix_spawnattr_setflags", "posix_spawnattr_setpgroup", "posix_spawnattr_setsigmask",
                    "posix_spawnattr_setsigdefault", "sigemptyset", "sigfillset", "pipe2", "close", "read",
                    "write", "fcntl", "ioctl", "waitpid", "waitid", "kill", "prctl", "strerror", "sysconf")
            .collect(Collectors.toUnmodifiableMap(name -> name, name -> LINKER.defaultLookup().find(name)
                    .orElseThrow(() -> new UnsatisfiedLinkError("libc symbol not found: " + name))));

    private LibC() {}

    // The handles are bound in groups, each on its first use. Binding generates a stub class per
    // call shape, some 5 ms each, which no AOT cache holds: bound together they were half of the
    // work before the watchdog reported healthy. A group is a holder class, so its handles stay
    // constants that the JIT inlines.

    /** Starting a process: the spawn attributes and file actions, its pipes. */
    private static final class Spawn {
        static final MethodHandle POSIX_SPAWN = bind("posix_spawn",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle FA_INIT = bind("posix_spawn_file_actions_init",
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle FA_DESTROY = bind("posix_spawn_file_actions_destroy",
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle FA_ADDDUP2 = bind("posix_spawn_file_actions_adddup2",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        static final Optional<MethodHandle> FA_ADDCLOSEFROM = CLOSE_FROM.map(symbol ->
                LINKER.downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)));
        static final MethodHandle ATTR_INIT = bind("posix_spawnattr_init",
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle ATTR_DESTROY = bind("posix_spawnattr_destroy",
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle ATTR_SETFLAGS = bind("posix_spawnattr_setflags",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
        static final MethodHandle ATTR_SETPGROUP = bind("posix_spawnattr_setpgroup",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle ATTR_SETSIGMASK = bind("posix_spawnattr_setsigmask",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle ATTR_SETSIGDEFAULT = bind("posix_spawnattr_setsigdefault",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle SIGEMPTYSET = bind("sigemptyset",
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle SIGFILLSET = bind("sigfillset",
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle PIPE2 = bind("pipe2",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), CAPTURE_ERRNO);
        static final MethodHandle FCNTL_INT = bind("fcntl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
                CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
        static final MethodHandle CLOSE = bind("close",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    }

    /** Moving bytes through a process's pipes. */
    private static final class Pipe {
        static final MethodHandle READ = bind("read",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE_ERRNO);
        static final MethodHandle WRITE = bind("write",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE_ERRNO);
        static final MethodHandle IOCTL_PTR = bind("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
                CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    }

    /** Signalling processes and collecting their exits. */
    private static final class Wait {
        static final MethodHandle WAITPID = bind("waitpid",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), CAPTURE_ERRNO);
        static final MethodHandle WAITID = bind("waitid",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), CAPTURE_ERRNO);
        static final MethodHandle KILL = bind("kill",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    }

    /** Watching a process's exit from an event loop. */
    private static final class Pidfd {
        static final Optional<MethodHandle> PIDFD_OPEN_HANDLE = PIDFD_OPEN.map(symbol -> LINKER.downcallHandle(
                symbol, FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE_ERRNO));
    }

    /** Becoming a child subreaper, before the first start. */
    private static final class Prctl {
        static final MethodHandle PRCTL = bind("prctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                CAPTURE_ERRNO, Linker.Option.firstVariadicArg(1));
    }

    /** Calls made once, or only when something failed. */
    private static final class Rare {
        static final MethodHandle STRERROR = bind("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        static final MethodHandle SYSCONF = bind("sysconf", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = SYMBOLS.get(name);
        if (symbol == null) {
            throw new IllegalStateException(name + " is bound but not looked up with the others (LibC.SYMBOLS)");
        }
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /**
     * Checks that the C library has every call (loading this class throws when one is missing)
     * and that native access is allowed. Only a module without native access granted binds a
     * call to find out: binding is what fails when access is denied.
     */
    static void ensureAvailable() {
        if (!LibC.class.getModule().isNativeAccessEnabled()) {
            Prctl.PRCTL.type();
        }
    }

    /** Binds every handle now, so that the first request does not wait for it. */
    static void bindAll() {
        Prctl.PRCTL.type();
        Spawn.POSIX_SPAWN.type();
        Pipe.READ.type();
        Wait.WAITPID.type();
        Pidfd.PIDFD_OPEN_HANDLE.ifPresent(MethodHandle::type);
        Rare.STRERROR.type();
    }

    static boolean hasCloseFrom() {
        return CLOSE_FROM.isPresent();
    }

    static int errno() {
        return (int) ERRNO.get(ERRNO_SLOT.get(), 0L);
    }

    // The methods below return the C result; a negative result means "look at errno()".
    // invokeExact needs exact static types, hence the casts.

    static int posixSpawn(MemorySegment pid, MemorySegment path, MemorySegment fileActions,
            MemorySegment attr, MemorySegment argv, MemorySegment envp) {
        try {
            return (int) Spawn.POSIX_SPAWN.invokeExact(pid, path, fileActions, attr, argv, envp);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fileActionsInit(MemorySegment fa) {
        try {
            return (int) Spawn.FA_INIT.invokeExact(fa);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fileActionsDestroy(MemorySegment fa) {
        try {
            return (int) Spawn.FA_DESTROY.invokeExact(fa);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fileActionsAddDup2(MemorySegment fa, int fd, int newFd) {
        try {
            return (int) Spawn.FA_ADDDUP2.invokeExact(fa, fd, newFd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fileActionsAddCloseFrom(MemorySegment fa, int from) {
        try {
            return (int) Spawn.FA_ADDCLOSEFROM.orElseThrow().invokeExact(fa, from);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int spawnAttrInit(MemorySegment attr) {
        try {
            return (int) Spawn.ATTR_INIT.invokeExact(attr);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int spawnAttrDestroy(MemorySegment attr) {
        try {
            return (int) Spawn.ATTR_DESTROY.invokeExact(attr);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int spawnAttrSetFlags(MemorySegment attr, short flags) {
        try {
            return (int) Spawn.ATTR_SETFLAGS.invokeExact(attr, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int spawnAttrSetPgroup(MemorySegment attr, int pgroup) {
        try {
            return (int) Spawn.ATTR_SETPGROUP.invokeExact(attr, pgroup);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int spawnAttrSetSigmask(MemorySegment attr, MemorySegment sigset) {
        try {
            return (int) Spawn.ATTR_SETSIGMASK.invokeExact(attr, sigset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int spawnAttrSetSigdefault(MemorySegment attr, MemorySegment sigset) {
        try {
            return (int) Spawn.ATTR_SETSIGDEFAULT.invokeExact(attr, sigset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int sigemptyset(MemorySegment sigset) {
        try {
            return (int) Spawn.SIGEMPTYSET.invokeExact(sigset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int sigfillset(MemorySegment sigset) {
        try {
            return (int) Spawn.SIGFILLSET.invokeExact(sigset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int pipe2(MemorySegment fds, int flags) {
        try {
            return (int) Spawn.PIPE2.invokeExact(ERRNO_SLOT.get(), fds, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int close(int fd) {
        try {
            return (int) Spawn.CLOSE.invokeExact(ERRNO_SLOT.get(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long read(int fd, MemorySegment buffer, long count) {
        try {
            return (long) Pipe.READ.invokeExact(ERRNO_SLOT.get(), fd, buffer, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long write(int fd, MemorySegment buffer, long count) {
        try {
            return (long) Pipe.WRITE.invokeExact(ERRNO_SLOT.get(), fd, buffer, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fcntl(int fd, int command, int argument) {
        try {
            return (int) Spawn.FCNTL_INT.invokeExact(ERRNO_SLOT.get(), fd, command, argument);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ioctl(int fd, long request, MemorySegment argument) {
        try {
            return (int) Pipe.IOCTL_PTR.invokeExact(ERRNO_SLOT.get(), fd, request, argument);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int waitpid(int pid, MemorySegment status, int options) {
        try {
            return (int) Wait.WAITPID.invokeExact(ERRNO_SLOT.get(), pid, status, options);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int waitid(int idType, int id, MemorySegment info, int options) {
        try {
            return (int) Wait.WAITID.invokeExact(ERRNO_SLOT.get(), idType, id, info, options);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A system limit; -1 when it is indeterminate. */
    static long sysconf(int name) {
        try {
            return (long) Rare.SYSCONF.invokeExact(name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int kill(int pid, int signal) {
        try {
            return (int) Wait.KILL.invokeExact(ERRNO_SLOT.get(), pid, signal);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static boolean hasPidfd() {
        return PIDFD_OPEN.isPresent();
    }

    /** A descriptor that becomes readable when {@code pid} exits; -1 with errno on failure. */
    static int pidfdOpen(int pid) {
        try {
            return (int) Pidfd.PIDFD_OPEN_HANDLE.orElseThrow().invokeExact(ERRNO_SLOT.get(), pid, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int prctl(int option, long argument) {
        try {
            return (int) Prctl.PRCTL.invokeExact(ERRNO_SLOT.get(), option, argument, 0L, 0L, 0L);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The C library's message for an error number, e.g. "No such file or directory". */
    static String strerror(int errno) {
        try {
            MemorySegment message = (MemorySegment) Rare.STRERROR.invokeExact(errno);
            // A NUL-terminated static string; its length is unknown to the binding.
            return message.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** An IOException naming what failed and the C library's reason. */
    static IOException error(String what, int errno) {
        return new IOException(what + ": " + strerror(errno));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        // Downcalls declare no checked exceptions; anything else is a binding bug.
        throw new IllegalStateException(t);
    }
}
