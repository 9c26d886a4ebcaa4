package io.fwatchdog.mode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Carries a request body into a process's stdin while the response may already flow the other
 * way: streaming mode's process and afterburn mode's hot process are fed by one.
 *
 * <p>Pieces that arrive while a write is in flight are held and go together in the next write,
 * since every write to a pipe wakes both the writer and the function; at most {@code readAhead}
 * bytes are held, and the next piece is asked for only when there is room. Nothing is written
 * before {@link #attach} names the pipe, so a body can be read ahead while a process is found.
 *
 * <p>Confined to the exchange's event loop; the blocking writes run on the I/O pool, one at a
 * time. A pipe this pump closes is closed by the thread that wrote it last.
 */
public final class StdinPump {
    /**
     * A batch of up to this many bytes in several pieces is copied into one buffer first, so it
     * costs one write(2) rather than one per piece; so is a {@code whole} batch of any size, so
     * that the reader finds the prefix and the body in one read.
     */
    static final int COPY_BELOW = 64 * 1024;

    private final Exchange exchange;
    private final EventLoop loop;
    private final Executor io;
    private final int readAhead;
    private final boolean closeAtEnd;
    private final Consumer<Boolean> done;

    private WritableByteChannel stdin;
    /** Written before the body, in the same write (afterburn's request head). */
    private ByteBuf prefix;
    /** Write nothing before the body's last piece is held, so prefix and body go in one write. */
    private boolean whole;
    private CompositeByteBuf held;
    private boolean last;
    private boolean reading;
    private boolean writing;
    /** The last write is done, or stdin refused one, or it was closed: nothing more goes in. */
    private boolean finished;
    private boolean stopped;

    /**
     * @param closeAtEnd close stdin after the body's last byte, or when the pump is stopped
     *     (a process per request); false leaves it open for the next request (a hot process)
     * @param done       told once on the event loop when writing is over: true when the whole
     *     body was written, false when stdin refused it (the process closed it or exited);
     *     not told after {@link #stop}
     */
    public StdinPump(Exchange exchange, Executor io, int readAhead, boolean closeAtEnd, Consumer<Boolean> done) {
        this.exchange = exchange;
        this.loop = exchange.eventLoop();
        this.io = io;
        this.readAhead = readAhead;
        this.closeAtEnd = closeAtEnd;
        this.done = done;
    }

    /** Asks for the next body piece unless one is on its way, the body is all here, or enough is held. */
    public void requestMore() {
        if (reading || last || stopped || exchange.done()) {
            return;
        }
        if (held != null && held.readableBytes() >= readAhead) {
            return;
        }
        reading = true;
        exchange.requestBody();
    }

    /** A body piece the exchange delivered; the pump owns it from here. */
    public void onBody(HttpContent piece) {
        reading = false;
        add(piece.content().retain(), piece instanceof LastHttpContent);
        piece.release();
        requestMore();
    }

    /** Body bytes gathered some other way (a collected chunked body, or none); owned from here. */
    public void add(ByteBuf bytes, boolean lastPiece) {
        if (stopped || finished) {
            bytes.release();
            return;
        }
        if (held == null) {
            held = exchange.alloc().compositeBuffer(Integer.MAX_VALUE);
        }
        held.addComponent(true, bytes);
        last |= lastPiece;
        writeHeld();
    }

    /**
     * Starts writing to {@code stdin}: {@code prefix} (may be null, owned from here) first, in
     * one write with the body when {@code whole}, else with what is held by then.
     */
    public void attach(WritableByteChannel stdin, ByteBuf prefix, boolean whole) {
        if (stopped) {
            if (prefix != null) {
                prefix.release();
            }
            return;
        }
        this.stdin = stdin;
        this.prefix = prefix;
        this.whole = whole;
        writeHeld();
    }

    /** A write is in flight. */
    public boolean writing() {
        return writing;
    }

    /**
     * No more body is wanted: what is held is released, and with {@code closeAtEnd} stdin is
     * closed once no write is in flight, so the function reads end-of-file.
     */
    public void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        release();
        if (!writing) {
            closeEarly();
        }
    }

    private void writeHeld() {
        if (stdin == null || writing || finished || stopped || (whole && !last)) {
            return;
        }
        if (prefix == null && held == null && !last) {
            return;
        }
        CompositeByteBuf batch = exchange.alloc().compositeBuffer(Integer.MAX_VALUE);
        if (prefix != null) {
            batch.addComponent(true, prefix);
            prefix = null;
        }
        if (held != null) {
            batch.addComponent(true, held);
            held = null;
        }
        ByteBuf bytes = batch;
        if (batch.nioBufferCount() > 1 && (whole || batch.readableBytes() <= COPY_BELOW)) {
            bytes = exchange.alloc().directBuffer(batch.readableBytes()).writeBytes(batch);
            batch.release();
        }
        ByteBuf out = bytes;
        boolean end = last;
        WritableByteChannel target = stdin;
        writing = true;
        io.execute(() -> {
            boolean ok = true;
            try {
                writeAll(target, out);
            } catch (IOException e) {
                ok = false; // the function closed stdin or exited: the rest is not wanted
            } finally {
                out.release();
            }
            if (closeAtEnd && (end || !ok)) {
                closeQuietly(target);
            }
            boolean accepted = ok;
            try {
                loop.execute(() -> written(accepted, end));
            } catch (RejectedExecutionException stopping) {
                // the watchdog is stopping; nobody waits for the outcome
            }
        });
    }

    private void written(boolean ok, boolean end) {
        writing = false;
        if (!ok || end) {
            finished = true;
            release();
            if (!stopped) {
                done.accept(ok);
            }
        } else if (stopped) {
            closeEarly();
        } else {
            writeHeld();
            requestMore();
        }
    }

    private void closeEarly() {
        if (closeAtEnd && stdin != null && !finished) {
            finished = true;
            WritableByteChannel target = stdin;
            io.execute(() -> closeQuietly(target));
        }
    }

    private void release() {
        if (held != null) {
            held.release();
            held = null;
        }
        if (prefix != null) {
            prefix.release();
            prefix = null;
        }
    }

    /** Writes all of {@code buf}'s readable bytes. Blocking. */
    public static void writeAll(WritableByteChannel channel, ByteBuf buf) throws IOException {
        for (ByteBuffer part : buf.nioBuffers()) {
            while (part.hasRemaining()) {
                channel.write(part);
            }
        }
    }

    private static void closeQuietly(WritableByteChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // the process is gone or going
        }
    }
}
