package io.fwatchdog.mode.fork;

import io.fwatchdog.process.ExitStatus;
import io.fwatchdog.process.LogRelay;
import io.fwatchdog.process.LoopPipe;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.fwatchdog.mode.Exchange;
import io.fwatchdog.mode.StdinPump;
import java.io.IOException;

/**
 * streaming mode: the request body flows into stdin and stdout flows out as a chunked
 * response, both at once and each at the pace of its slower side.
 *
 * <p>The two directions are independent pull loops: a {@link StdinPump} asks for body pieces
 * only while the pipe keeps up; the next stdout read is issued only when the client
 * connection can take more, so one read's worth of output is held at most.
 */
final class StreamingCall extends ProcessCall {
    /** Most request bytes read ahead while the previous batch is being written to stdin. */
    static final int READ_AHEAD = 1 << 20;
    /** Largest stdout read: what an enlarged pipe holds, so a busy stream moves in few reads. */
    static final int STDOUT_READ = 256 * 1024;

    /** Feeds the body to stdin; made once the process runs. */
    private StdinPump stdin;
    /** stdout when the event loop reads it; null when pool threads do. */
    private LoopPipe stdout;
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
        stdout = LoopPipe.watch(process.stdout(), this::stdoutReadable, () -> closeQuietly(process.stdout()));
        if (stdout == null) {
            mode.io.execute(this::readStdout);
        }
        stdin = new StdinPump(exchange, mode.io, READ_AHEAD, true, whole -> {});
        stdin.attach(process.stdin(), null, false);
        if (cancelled || timedOut) {
            stdin.stop();
        } else {
            stdin.requestMore();
        }
    }

    @Override
    public void onBody(HttpContent piece) {
        if (stdin == null) {
            piece.release();
        } else {
            stdin.onBody(piece);
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
        onLoop(compact(buf, n), this::output);
    }

    /**
     * stdout has bytes or reached its end, and the loop reads it: pieces go out while the
     * client connection takes them; otherwise the pipe is left unwatched until it does.
     */
    private void stdoutReadable() {
        while (!readerParked) {
            ByteBuf buf = exchange.alloc().directBuffer(STDOUT_READ);
            int n;
            try {
                n = stdout.read(buf);
            } catch (IOException e) {
                n = -1;
            }
            if (n == 0) {
                buf.release();
                return;
            }
            if (n < 0) {
                buf.release();
                stdout.close();
                outputEnded();
                return;
            }
            if (exchange.done()) {
                buf.release(); // nobody listens any more; read to end-of-file all the same
                continue;
            }
            writeOutput(compact(buf, n));
        }
        stdout.pause(true);
    }

    /**
     * Small reads leave most of the buffer unused; copies them out so a slow client holding
     * many pieces holds their bytes, not their capacity.
     */
    private ByteBuf compact(ByteBuf buf, int n) {
        if (n >= STDOUT_READ / 2) {
            return buf;
        }
        ByteBuf piece = exchange.alloc().directBuffer(n).writeBytes(buf);
        buf.release();
        return piece;
    }

    private void output(ByteBuf piece) {
        if (exchange.done()) {
            // Nobody listens any more; keep reading to end-of-file so the pipe is closed by its reader.
            piece.release();
            mode.io.execute(this::readStdout);
            return;
        }
        writeOutput(piece);
    }

    /** Sends a piece; the next read waits until the connection can take more. */
    private void writeOutput(ByteBuf piece) {
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
        if (!readerParked) {
            return;
        }
        readerParked = false;
        if (stdout == null) {
            mode.io.execute(this::readStdout);
        } else {
            stdout.pause(false); // a no-op when called back at once, inside stdoutReadable
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
        if (stdin != null) {
            stdin.stop();
        }
        resumeReader();
    }
}
