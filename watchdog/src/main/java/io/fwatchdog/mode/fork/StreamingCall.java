package io.fwatchdog.mode.fork;

import io.fwatchdog.process.ExitStatus;
import io.fwatchdog.process.LogRelay;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.fwatchdog.mode.Exchange;
import java.io.IOException;

/**
 * streaming mode: the request body flows into stdin and stdout flows out as a chunked
 * response, both at once and each at the pace of its slower side.
 *
 * <p>The two directions are independent pull loops: the next body piece is asked for only
 * when the previous one is in the pipe; the next stdout read is issued only when the client
 * connection can take more. Nothing is buffered beyond one piece per direction.
 */
final class StreamingCall extends ProcessCall {
    /**
     * Most request bytes read ahead while the previous batch is being written to stdin. Each
     * write to the pipe costs a wake-up of the writer and of the function, so pieces that
     * arrive during a write go together in the next one.
     */
    static final int READ_AHEAD = 1 << 20;
    /** Largest stdout read: what an enlarged pipe holds, so a busy stream moves in few reads. */
    static final int STDOUT_READ = 256 * 1024;

    /** Body pieces received while a write is in flight; written together next. */
    private CompositeByteBuf queued;
    private boolean queuedLast;
    private boolean writing;
    /** A body piece has been asked for and has not arrived yet. */
    private boolean reading;
    private boolean stdinClosed;
    private boolean readerParked;

    StreamingCall(ForkMode mode, Exchange exchange) {
        super(mode, exchange);
        spawn();
    }

    @Override
    void started() {
        LogRelay.start(process.stderr(), "stderr", mode.config.logBufferSize(), mode.config.prefixLogs(),
                exchange.callId(), process.pid())
                .whenComplete((ignored, error) -> closeQuietly(process.stderr()));
        mode.io.execute(this::readStdout);
        if (cancelled || timedOut) {
            closeStdin();
        } else {
            readAhead();
        }
    }

    @Override
    public void onBody(HttpContent piece) {
        reading = false;
        if (process == null || stdinClosed) {
            piece.release();
            return;
        }
        if (queued == null) {
            queued = exchange.alloc().compositeBuffer(Integer.MAX_VALUE);
        }
        queued.addComponent(true, piece.content().retain());
        piece.release();
        queuedLast |= piece instanceof LastHttpContent;
        if (!writing) {
            writeQueued();
        }
        readAhead();
    }

    /** Asks for the next body piece unless one is on its way, or the read-ahead is full. */
    private void readAhead() {
        if (reading || queuedLast || stdinClosed || cancelled || exchange.done()) {
            return;
        }
        if (queued != null && queued.readableBytes() >= READ_AHEAD) {
            return;
        }
        reading = true;
        exchange.requestBody();
    }

    /** Hands everything queued to a pool thread in one write; closes stdin after the last piece. */
    private void writeQueued() {
        if (queued == null && !queuedLast) {
            return;
        }
        ByteBuf batch = queued;
        boolean last = queuedLast;
        queued = null;
        writing = true;
        mode.io.execute(() -> {
            boolean ok = true;
            try {
                if (batch != null) {
                    writeAll(process.stdin(), batch);
                }
            } catch (IOException e) {
                ok = false; // the function closed stdin or exited: the rest of the body is not wanted
            } finally {
                if (batch != null) {
                    batch.release();
                }
            }
            if (last || !ok) {
                closeQuietly(process.stdin());
            }
            boolean closed = last || !ok;
            loop.execute(() -> written(closed));
        });
    }

    private void written(boolean closed) {
        writing = false;
        if (closed) {
            stdinClosed = true;
            releaseQueued();
        } else if (cancelled || exchange.done()) {
            closeStdin();
        } else {
            writeQueued();
            readAhead();
        }
    }

    private void closeStdin() {
        releaseQueued();
        if (stdinClosed || writing || process == null) {
            return;
        }
        stdinClosed = true;
        mode.io.execute(() -> closeQuietly(process.stdin()));
    }

    private void releaseQueued() {
        if (queued != null) {
            queued.release();
            queued = null;
        }
    }

    /** One blocking read on a pool thread; the result goes to the event loop. */
    private void readStdout() {
        ByteBuf buf = exchange.alloc().directBuffer(STDOUT_READ);
        int n;
        try {
            n = readInto(process.stdout(), buf);
        } catch (IOException e) {
            n = -1;
        }
        if (n < 0) {
            buf.release();
            closeQuietly(process.stdout());
            loop.execute(this::outputEnded);
            return;
        }
        ByteBuf piece = buf;
        if (n < STDOUT_READ / 2) {
            // Small reads leave most of the buffer unused; copy them out so a slow client
            // holding many pieces holds their bytes, not their capacity.
            piece = exchange.alloc().directBuffer(n).writeBytes(buf);
            buf.release();
        }
        onLoop(piece, this::output);
    }

    private void output(ByteBuf piece) {
        if (exchange.done()) {
            // Nobody listens any more; keep reading to end-of-file so the pipe is closed by its reader.
            piece.release();
            mode.io.execute(this::readStdout);
            return;
        }
        if (!exchange.responseStarted()) {
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, mode.config.contentType())
                    .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            exchange.respond(head);
        }
        exchange.write(piece);
        readerParked = true;
        exchange.whenWritable(this::resumeReader);
    }

    private void resumeReader() {
        if (readerParked) {
            readerParked = false;
            mode.io.execute(this::readStdout);
        }
    }

    @Override
    void finished(ExitStatus status) {
        if (!status.success()) {
            exchange.fail(HttpResponseStatus.INTERNAL_SERVER_ERROR, failure(status));
        } else {
            if (!exchange.responseStarted()) {
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                head.headers()
                        .set(HttpHeaderNames.CONTENT_TYPE, mode.config.contentType())
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                exchange.respond(head);
            }
            exchange.end();
        }
    }

    @Override
    void released() {
        closeStdin();
        resumeReader();
    }
}
