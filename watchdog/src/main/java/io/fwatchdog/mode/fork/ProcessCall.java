package io.fwatchdog.mode.fork;

import io.fwatchdog.process.ExitReason;
import io.fwatchdog.process.ExitStatus;
import io.fwatchdog.process.FunctionProcess;
import io.fwatchdog.mode.Call;
import io.fwatchdog.mode.Exchange;
import io.fwatchdog.mode.Responses;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ReadableByteChannel;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * What a request's process goes through in both fork modes: started off the event loop,
 * its exit and the end of its stdout awaited, ended as a tree on timeout or cancellation.
 * Subclasses decide how the body goes in and the output comes out.
 *
 * <p>Threading: fields are confined to the exchange's event loop. A pipe is closed only by
 * the thread that reads or writes it, after its last operation, so a descriptor number is
 * never reused under a pending read.
 */
abstract class ProcessCall implements Call {
    final ForkMode mode;
    final Exchange exchange;
    final EventLoop loop;
    FunctionProcess process;
    long startNanos;
    private ExitStatus exit;
    private boolean outputEnded;
    boolean timedOut;
    boolean cancelled;

    ProcessCall(ForkMode mode, Exchange exchange) {
        this.mode = mode;
        this.exchange = exchange;
        this.loop = exchange.eventLoop();
    }

    /**
     * Hands {@code bytes} read on a pool thread to {@code consumer} on the event loop; when the
     * loop is gone (the watchdog stopped while a leftover process held the pipe), releases them.
     */
    final void onLoop(ByteBuf bytes, Consumer<ByteBuf> consumer) {
        try {
            loop.execute(() -> consumer.accept(bytes));
        } catch (RejectedExecutionException stopped) {
            bytes.release();
        }
    }

    /** Starts the process on a pool thread; {@link #started()} follows on the event loop. */
    final void spawn() {
        Map<String, String> env;
        try {
            env = mode.config.cgiHeaders() ? CgiEnvironment.of(exchange.request()) : Map.of();
        } catch (IllegalArgumentException e) {
            refuse(HttpResponseStatus.BAD_REQUEST, "malformed request: " + e.getMessage());
            return;
        }
        // Refused here, as the kernel would refuse the start (E2BIG): the request is at fault,
        // not the function, and no process should be started for it.
        Optional<String> tooLarge = mode.environmentRoom().exceededBy(env);
        if (tooLarge.isPresent()) {
            refuse(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large to pass to the"
                    + " function as environment variables (cgi_headers): " + tooLarge.get()
                    + "; max_header_size bounds the header block");
            return;
        }
        mode.io.execute(() -> {
            try {
                FunctionProcess started = mode.acquire(env, loop);
                loop.execute(() -> onStarted(started));
                running(started);
            } catch (IOException | RuntimeException e) {
                notRunning();
                loop.execute(() -> {
                    exchange.fail(HttpResponseStatus.INTERNAL_SERVER_ERROR, "function could not be started: " + e.getMessage());
                    released();
                });
            }
        });
    }

    /** No process will run: gives back what was kept for one, as when a start fails. */
    private void refuse(HttpResponseStatus status, String message) {
        notRunning();
        exchange.fail(status, message);
        released();
    }

    private void onStarted(FunctionProcess started) {
        process = started;
        startNanos = System.nanoTime();
        started.onExit().whenComplete((status, error) -> loop.execute(() -> onExit(status)));
        if (timedOut) {
            mode.end(started, ExitReason.TIMEOUT);
        } else if (cancelled) {
            mode.end(started, ExitReason.KILLED);
        }
        started();
    }

    /**
     * The process runs; called on the pool thread that started it, so pipe work that would
     * only be handed to another thread can start here at once. Must not touch event-loop state.
     */
    void running(FunctionProcess process) {}

    /**
     * No process will run for this call: on the pool thread that failed to start it, instead
     * of {@link #running}, or on the event loop when the request was refused before that.
     */
    void notRunning() {}

    /** The process runs; called on the event loop after {@link #running}. */
    abstract void started();

    /** The process and its output are both done; answer the client. */
    abstract void finished(ExitStatus status);

    /** The exchange is over, whichever way: give back buffers and pipes still held. */
    abstract void released();

    /** Extra condition before {@link #finished}, such as captured stderr being complete. */
    boolean readyToFinish() {
        return true;
    }

    private void onExit(ExitStatus status) {
        exit = status;
        // Whatever the function left behind in its group ends with it; this also closes
        // stdout for good when a background child inherited it.
        process.terminate(FunctionProcess.KILL_GRACE);
        maybeFinish();
    }

    /** Called by subclasses on the event loop once stdout reached end-of-file. */
    final void outputEnded() {
        outputEnded = true;
        maybeFinish();
    }

    final void maybeFinish() {
        if (exit == null || !outputEnded || !readyToFinish() || exchange.done()) {
            return;
        }
        if (timedOut) {
            exchange.fail(HttpResponseStatus.GATEWAY_TIMEOUT, "function did not finish within exec_timeout ("
                    + Responses.duration(mode.config.execTimeout()) + ")");
        } else {
            finished(exit);
        }
        released();
    }

    @Override
    public void onTimeout() {
        if (timedOut || exchange.done()) {
            return;
        }
        timedOut = true;
        if (exit == null) {
            if (process != null) {
                mode.end(process, ExitReason.TIMEOUT); // the answer follows once its output ends
            }
            return;
        }
        // The function has exited, yet its stdout is still open: a process it left outside its
        // group holds it. That process is out of reach until shutdown; the request is not.
        exchange.fail(HttpResponseStatus.GATEWAY_TIMEOUT, "function output not ended within exec_timeout ("
                + Responses.duration(mode.config.execTimeout()) + "): a process the function left behind holds it open");
        released();
    }

    @Override
    public void cancel() {
        cancelled = true;
        if (process != null) {
            mode.end(process, ExitReason.KILLED);
        }
        released();
    }

    static String failure(ExitStatus status) {
        return "function " + status;
    }

    /** Reads once into {@code buf}'s writable space; -1 at end-of-file. Blocking. */
    static int readInto(ReadableByteChannel channel, ByteBuf buf) throws IOException {
        ByteBuffer target = buf.nioBuffer(buf.writerIndex(), buf.writableBytes());
        int n = channel.read(target);
        if (n > 0) {
            buf.writerIndex(buf.writerIndex() + n);
        }
        return n;
    }

    static void closeQuietly(Channel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // the process is gone or going; nothing to tell anyone
        }
    }
}
