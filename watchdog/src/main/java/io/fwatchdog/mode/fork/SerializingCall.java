package io.fwatchdog.mode.fork;

import io.fwatchdog.process.ExitReason;
import io.fwatchdog.log.Log;
import io.fwatchdog.metrics.Metrics;
import io.fwatchdog.process.ExitStatus;
import io.fwatchdog.process.FunctionProcess;
import io.fwatchdog.process.LogRelay;
import io.fwatchdog.process.LoopPipe;
import io.fwatchdog.mode.BodyBuffer;
import io.fwatchdog.mode.Exchange;
import io.fwatchdog.mode.StdinPump;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * serializing mode: the whole request body is buffered (up to {@code max_body_size}), the
 * process runs with it on stdin, and its whole stdout becomes a response with
 * Content-Length and {@code X-Duration-Seconds}. Output is bounded by the same limit, so a
 * runaway function cannot exhaust the watchdog's memory.
 */
final class SerializingCall extends ProcessCall {
    /** Largest body written to stdin before stdout is read: what any pipe holds, one page. */
    private static final int INLINE_INPUT = 4096;

    private BodyBuffer body;
    /** The complete body, owned by the pool thread that runs the process once it is set. */
    private ByteBuf input;
    /** stdout when the event loop reads it, and what it gathered so far; loop-confined. */
    private LoopPipe stdout;
    private ByteBuf captured;
    private ByteBuf output;
    private ByteBuf errors;
    private boolean errorsEnded;
    private boolean overflow;

    SerializingCall(ForkMode mode, Exchange exchange) {
        super(mode, exchange);
        body = BodyBuffer.open(exchange, mode.config.maxBodySize()).orElse(null);
        if (body != null) {
            exchange.requestBody();
        }
    }

    @Override
    public void onBody(HttpContent piece) {
        if (body == null || exchange.done()) {
            piece.release();
            return;
        }
        boolean last = piece instanceof LastHttpContent;
        if (!body.add(piece)) {
            body = null;
            return;
        }
        if (last) {
            input = body.take();
            body = null;
            spawn();
        } else {
            exchange.requestBody();
        }
    }

    /**
     * Feeds stdin and reads stdout on this one pool thread when the body fits in the pipe (a
     * write that cannot block), else on two; stderr is relayed or captured beside them.
     */
    @Override
    void running(FunctionProcess process) {
        ByteBuf body = input;
        if (body.readableBytes() <= INLINE_INPUT) {
            feed(process, body);
        } else {
            mode.io.execute(() -> feed(process, body));
        }
        if (mode.config.combineOutput()) {
            mode.io.execute(() -> collect(process.stderr(), captured -> {
                errors = captured;
                errorsEnded = true;
                maybeFinish();
            }));
        } else {
            LogRelay.start(process.stderr(), "stderr", mode.config.logBufferSize(), mode.config.prefixLogs(),
                    exchange.callId(), process.pid())
                    .whenComplete((ignored, error) -> closeQuietly(process.stderr()));
        }
        if (!LoopPipe.readsOnLoop(process.stdout())) {
            collect(process.stdout(), captured -> {
                output = captured;
                outputEnded();
            });
        }
    }

    /**
     * Gathers stdout on the event loop as it becomes readable, for a process started for the
     * loop (else {@link #running} has a pool thread read it).
     */
    private void collectOnLoop() {
        FunctionProcess started = process;
        stdout = LoopPipe.watch(started.stdout(), this::stdoutReadable, () -> {
            releaseCaptured();
            closeQuietly(started.stdout());
        });
    }

    /** On the loop: gathers what stdout holds; at its end, hands it on as the output. */
    private void stdoutReadable() {
        if (captured == null && !exchange.done()) {
            captured = exchange.alloc().buffer();
        }
        try {
            while (true) {
                ByteBuf into = captured != null ? captured : exchange.alloc().directBuffer(ForkMode.CHUNK);
                int n;
                try {
                    n = stdout.read(into.ensureWritable(Math.min(ForkMode.CHUNK, into.maxWritableBytes())));
                } finally {
                    if (into != captured) {
                        into.release(); // nobody wants the output any more; drained all the same
                    }
                }
                if (n == 0) {
                    return;
                }
                if (n < 0) {
                    break;
                }
                if (captured != null && captured.readableBytes() > mode.config.maxBodySize()) {
                    overflowed();
                    captured.clear(); // keep draining so the function is not blocked on a full pipe
                }
            }
        } catch (IOException e) {
            // read error: treat as end-of-file, the exit status decides
        }
        stdout.close();
        if (captured == null || exchange.done()) {
            releaseCaptured();
        } else {
            output = captured;
            captured = null;
            outputEnded();
        }
    }

    private void releaseCaptured() {
        if (captured != null) {
            captured.release();
            captured = null;
        }
    }

    @Override
    void notRunning() {
        input.release();
    }

    private static void feed(FunctionProcess process, ByteBuf body) {
        try {
            StdinPump.writeAll(process.stdin(), body);
        } catch (IOException ignored) {
            // the function did not read all of its input; its exit status tells the rest
        } finally {
            body.release();
            closeQuietly(process.stdin());
        }
    }

    @Override
    void started() {
        if (LoopPipe.readsOnLoop(process.stdout())) {
            collectOnLoop();
        }
        if (!mode.config.combineOutput()) {
            errorsEnded = true;
        }
    }

    /** Reads {@code pipe} to end-of-file on a pool thread, then hands the bytes to the event loop. */
    private void collect(ReadableByteChannel pipe, Consumer<ByteBuf> done) {
        ByteBuf scratch = exchange.alloc().directBuffer(ForkMode.CHUNK);
        ByteBuf captured = exchange.alloc().buffer();
        long limit = mode.config.maxBodySize();
        try {
            while (readInto(pipe, scratch.clear()) >= 0) {
                if (captured.readableBytes() + (long) scratch.readableBytes() > limit) {
                    loop.execute(this::overflowed);
                    continue; // keep draining so the function is not blocked on a full pipe
                }
                captured.writeBytes(scratch);
            }
        } catch (IOException e) {
            // read error: treat as end-of-file, the exit status decides
        } finally {
            scratch.release();
            closeQuietly(pipe);
        }
        onLoop(captured, bytes -> {
            if (exchange.done()) {
                bytes.release();
            } else {
                done.accept(bytes);
            }
        });
    }

    private void overflowed() {
        if (!overflow) {
            overflow = true;
            mode.end(process, ExitReason.KILLED);
        }
    }

    @Override
    boolean readyToFinish() {
        return errorsEnded;
    }

    @Override
    void finished(ExitStatus status) {
        if (overflow) {
            exchange.fail(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "function output exceeds max_body_size (" + mode.config.maxBodySize() + " bytes)");
        } else if (!status.success()) {
            String message = failure(status);
            if (errors != null && errors.isReadable()) {
                message = message + "\n" + errors.toString(StandardCharsets.UTF_8);
            }
            exchange.fail(HttpResponseStatus.INTERNAL_SERVER_ERROR, message);
        } else {
            ByteBuf content = output;
            output = null;
            if (errors != null && errors.isReadable()) {
                content = exchange.alloc().compositeBuffer(2).addComponents(true, content, errors);
                errors = null;
            }
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, content);
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, mode.config.contentType())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes())
                    .set("X-Duration-Seconds", Log.seconds(System.nanoTime() - startNanos, 6));
            exchange.send(response);
        }
    }

    private void releaseBody() {
        if (body != null) {
            body.release();
            body = null;
        }
    }

    @Override
    void released() {
        releaseBody();
        releaseCaptured();
        if (output != null) {
            output.release();
            output = null;
        }
        if (errors != null) {
            errors.release();
            errors = null;
        }
    }
}
