package io.fwatchdog.process;

import io.netty.channel.EventLoop;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One end of a pipe to a function process, as a channel over the raw descriptor: blocking,
 * or for a read end watched on an event loop, non-blocking.
 *
 * <p>Threading: {@code read} and {@code write} block in the kernel, so they belong on platform
 * threads the caller owns (a foreign call pins a virtual thread to its carrier). One thread at
 * a time reads or writes a given end. A thread blocked here is released by the process: its
 * exit gives end-of-file to a reader and a broken pipe to a writer. {@link #close()} does not
 * interrupt it; instead the descriptor is closed when the last call in flight returns, so its
 * number can never be reused under a running call.
 *
 * <p>Direct buffers are read into and written from in place; heap buffers pass through a
 * per-thread native bounce buffer, because a call that may block cannot take heap memory.
 */
final class PipeChannel implements ByteChannel {
    private static final int BOUNCE_BYTES = 64 * 1024;
    private static final ThreadLocal<MemorySegment> BOUNCE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(BOUNCE_BYTES));

    private static final int CLOSED = 1;
    private static final int CALL = 2;

    private final int fd;
    /** The loop that reads this end without blocking (see {@link #read}); null when blocking. */
    private final EventLoop loop;
    /** Calls in flight times {@link #CALL}, plus {@link #CLOSED} once close was asked for. */
    private final AtomicInteger state = new AtomicInteger();

    PipeChannel(int fd) {
        this(fd, null);
    }

    PipeChannel(int fd, EventLoop loop) {
        this.fd = fd;
        this.loop = loop;
    }

    int fd() {
        return fd;
    }

    EventLoop loop() {
        return loop;
    }

    /** Turns a non-blocking end back into a blocking one, for a thread to read. */
    void makeBlocking() throws IOException {
        if (LibC.fcntl(fd, LibC.F_SETFL, 0) != 0) {
            throw LibC.error("fcntl", LibC.errno());
        }
    }

    /**
     * Reads what the pipe holds, up to {@code destination}'s room: -1 at end-of-file. A blocking
     * end waits for bytes; a non-blocking one (read on its {@link #loop()}) returns 0 when the
     * pipe holds none.
     */
    @Override
    public int read(ByteBuffer destination) throws IOException {
        enter();
        try {
            int wanted = destination.remaining();
            if (wanted == 0) {
                return 0;
            }
            if (destination.isDirect()) {
                long n = readOnce(MemorySegment.ofBuffer(destination), wanted);
                if (n > 0) {
                    destination.position(destination.position() + (int) n);
                }
                return counted(n);
            }
            MemorySegment bounce = BOUNCE.get();
            long n = readOnce(bounce, Math.min(wanted, BOUNCE_BYTES));
            if (n > 0) {
                destination.put(bounce.asSlice(0, n).asByteBuffer());
            }
            return counted(n);
        } finally {
            exit();
        }
    }

    /** A non-blocking end holds nothing right now. */
    private static final long NOTHING_YET = -1;

    /** {@link #readOnce}'s result as {@link #read} returns it. */
    private static int counted(long n) {
        return n == 0 ? -1 : n == NOTHING_YET ? 0 : (int) n;
    }

    /** One read(2), retried on EINTR; 0 means end-of-file, {@link #NOTHING_YET} EAGAIN. */
    private long readOnce(MemorySegment into, long count) throws IOException {
        while (true) {
            long n = LibC.read(fd, into, count);
            if (n >= 0) {
                return n;
            }
            int errno = LibC.errno();
            if (errno == LibC.EAGAIN) {
                return NOTHING_YET;
            }
            if (errno != LibC.EINTR) {
                throw LibC.error("read", errno);
            }
        }
    }

    /** Writes everything remaining; blocks while the pipe is full. */
    @Override
    public int write(ByteBuffer source) throws IOException {
        enter();
        try {
            int total = source.remaining();
            if (source.isDirect()) {
                writeFully(MemorySegment.ofBuffer(source), total);
                source.position(source.limit());
                return total;
            }
            MemorySegment bounce = BOUNCE.get();
            while (source.hasRemaining()) {
                int chunk = Math.min(source.remaining(), BOUNCE_BYTES);
                MemorySegment slice = bounce.asSlice(0, chunk);
                slice.asByteBuffer().put(source.slice(source.position(), chunk));
                writeFully(slice, chunk);
                source.position(source.position() + chunk);
            }
            return total;
        } finally {
            exit();
        }
    }

    private void writeFully(MemorySegment from, long count) throws IOException {
        long done = 0;
        while (done < count) {
            long n = LibC.write(fd, from.asSlice(done), count - done);
            if (n >= 0) {
                done += n;
                continue;
            }
            int errno = LibC.errno();
            if (errno == LibC.EPIPE) {
                // HotSpot does not die of SIGPIPE; the write fails with EPIPE instead.
                throw new IOException("Broken pipe");
            }
            if (errno != LibC.EINTR) {
                throw LibC.error("write", errno);
            }
        }
    }

    /** Bytes in the pipe that its reader has not taken yet; -1 once closed or when unknown. */
    long unread() {
        try {
            enter();
        } catch (ClosedChannelException e) {
            return -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            return LibC.ioctl(fd, LibC.FIONREAD, count) == 0 ? count.get(ValueLayout.JAVA_INT, 0) : -1;
        } finally {
            exit();
        }
    }

    @Override
    public boolean isOpen() {
        return (state.get() & CLOSED) == 0;
    }

    /** Idempotent. The descriptor is released at once, or when the call in flight returns. */
    @Override
    public void close() {
        while (true) {
            int s = state.get();
            if ((s & CLOSED) != 0) {
                return;
            }
            if (state.compareAndSet(s, s | CLOSED)) {
                if (s == 0) {
                    release();
                }
                return;
            }
        }
    }

    private void enter() throws ClosedChannelException {
        while (true) {
            int s = state.get();
            if ((s & CLOSED) != 0) {
                throw new ClosedChannelException();
            }
            if (state.compareAndSet(s, s + CALL)) {
                return;
            }
        }
    }

    private void exit() {
        if (state.addAndGet(-CALL) == CLOSED) {
            release();
        }
    }

    private void release() {
        // close(2) on Linux releases the descriptor even when it reports EINTR: never retry.
        LibC.close(fd);
    }
}
