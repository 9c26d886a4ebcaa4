package io.fwatchdog.server;

import io.fwatchdog.mode.Mode;
import io.fwatchdog.mode.Call;
import io.fwatchdog.mode.ProxyHeaders;
import io.fwatchdog.mode.Responses;
import io.fwatchdog.config.Config;
import io.fwatchdog.log.Log;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The {@code ready_path} probe of {@code /_/ready} (docs/behaviour.md#ready-path): a GET {@code ready_path} sent
 * through the mode like a request, whose answer becomes the answer of {@code /_/ready}.
 *
 * <p>A probe is not a request: it takes no admission slot, is not counted in the request
 * metrics, writes no access line, and is bounded by {@code exec_timeout} however the mode
 * behaves. While one probe runs, further {@code /_/ready} requests share its result rather
 * than start their own, so an orchestrator probing often costs the function one call at a
 * time (a single afterburn process is never queued behind a burst of probes). A probe runs to
 * its end even when the requests that wanted it have gone: ending it early would kill a fork
 * process or retire a hot one for nothing.
 */
final class ReadyProbe {
    /** Most of the function's answer kept for {@code /_/ready}; the rest is read and dropped. */
    static final int MAX_BODY = 64 * 1024;

    /** What {@code /_/ready} answers: the function's status and body, or the watchdog's own message. */
    record Result(HttpResponseStatus status, String contentType, byte[] body, boolean internal, String callId) {

        FullHttpResponse response(ByteBufAllocator alloc) {
            FullHttpResponse response;
            if (internal) {
                response = Responses.plain(alloc, status, new String(body, StandardCharsets.UTF_8));
            } else {
                response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
                if (contentType != null) {
                    response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
                }
                if (status.code() != 204 && status.code() != 304) {
                    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
                }
            }
            response.headers().set(Responses.CALL_ID, callId);
            return response;
        }
    }

    private final String readyPath;
    private final Mode mode;
    private final Config config;
    /** The probe in flight, shared by every {@code /_/ready} that arrives meanwhile; guarded by this. */
    private CompletableFuture<Result> running;
    /** {@code /_/ready} requests waiting for {@link #running}; guarded by this. */
    private int waiting;

    ReadyProbe(String readyPath, Mode mode, Config config) {
        this.readyPath = readyPath;
        this.mode = mode;
        this.config = config;
    }

    /**
     * The result of the probe in flight, or of one started now on {@code channel}'s event loop
     * (the caller's) for {@code asked}, whose headers it carries. Never completes exceptionally.
     */
    CompletableFuture<Result> probe(HttpRequest asked, Channel channel) {
        CompletableFuture<Result> result;
        synchronized (this) {
            waiting++;
            if (running != null) {
                return running;
            }
            result = new CompletableFuture<>();
            running = result;
        }
        new ProbeExchange(request(asked), channel, result).start();
        return result;
    }

    /** {@code /_/ready} requests waiting for a probe's result. */
    synchronized int waiting() {
        return waiting;
    }

    /**
     * GET ready_path with the headers of {@code asked}, minus those of its connection, those
     * that would make the answer partial or conditional (a 206 or 304 says nothing of
     * readiness), and with a fresh call id.
     */
    private HttpRequest request(HttpRequest asked) {
        HttpHeaders headers = asked.headers().copy();
        ProxyHeaders.stripHopByHop(headers);
        headers.remove(HttpHeaderNames.CONTENT_LENGTH);
        headers.remove(HttpHeaderNames.EXPECT);
        for (var conditional : List.of(HttpHeaderNames.RANGE, HttpHeaderNames.IF_RANGE, HttpHeaderNames.IF_MATCH,
                HttpHeaderNames.IF_NONE_MATCH, HttpHeaderNames.IF_MODIFIED_SINCE, HttpHeaderNames.IF_UNMODIFIED_SINCE)) {
            headers.remove(conditional);
        }
        headers.set(Responses.CALL_ID, Responses.newCallId());
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, readyPath, headers);
    }

    private void completed(CompletableFuture<Result> probe, Result result) {
        synchronized (this) {
            running = null;
            waiting = 0;
        }
        probe.complete(result);
    }

    /**
     * The front's side of a probe, for the mode's call: it keeps the status and up to
     * {@link #MAX_BODY} bytes of the body and hands them over once the answer is complete.
     * Everything the function sends is taken at once, so the call never waits for a client.
     * An answer that fails after it started (a streaming process that wrote, then exited
     * non-zero) is still an error here: nothing has reached a client yet.
     */
    private final class ProbeExchange extends ChannelExchange {
        private final CompletableFuture<Result> result;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private Call call;
        private ScheduledFuture<?> timer;
        private boolean bodyAsked;
        private boolean bodyComplete;
        private boolean timedOut;
        private HttpResponseStatus status;
        private String contentType;

        ProbeExchange(HttpRequest request, Channel channel, CompletableFuture<Result> result) {
            super(request, request.headers().get(Responses.CALL_ID), channel);
            this.result = result;
        }

        void start() {
            if (config.hasExecTimeout()) {
                timer = eventLoop().schedule(this::timedOut, config.execTimeout().toNanos(), TimeUnit.NANOSECONDS);
            }
            try {
                call = mode.open(this);
            } catch (RuntimeException e) {
                Log.error("ready_path " + readyPath + ": the probe could not be started", e);
                fail(HttpResponseStatus.INTERNAL_SERVER_ERROR, "the probe could not be started: " + e.getMessage());
            }
        }

        /** As for a request: the call ends its work; whatever it does not answer at once is answered here. */
        private void timedOut() {
            timer = null;
            if (done) {
                return;
            }
            timedOut = true;
            if (call != null) {
                call.onTimeout();
            }
            if (!done) {
                if (call != null) {
                    call.cancel();
                }
                fail(HttpResponseStatus.SERVICE_UNAVAILABLE, timeoutMessage());
            }
        }

        /** The probe has no body: its end is delivered, later, as the front delivers a body's end. */
        @Override
        public void requestBody() {
            if (bodyAsked || done) {
                return;
            }
            bodyAsked = true;
            eventLoop().execute(() -> {
                bodyComplete = true;
                if (!done && call != null) {
                    call.onBody(LastHttpContent.EMPTY_LAST_CONTENT);
                }
            });
        }

        @Override
        public boolean bodyComplete() {
            return bodyComplete;
        }

        @Override
        public void respond(HttpResponse head) {
            markStarted();
            status = head.status();
            contentType = head.headers().get(HttpHeaderNames.CONTENT_TYPE);
        }

        @Override
        public void send(FullHttpResponse response) {
            try {
                if (done) {
                    return;
                }
                respond(response);
                keep(response.content());
            } finally {
                response.release();
            }
            end();
        }

        @Override
        public void sendFile(HttpResponse head, FileChannel file, long position, long count) {
            try (file) {
                if (done) {
                    return;
                }
                respond(head);
                if (file != null) {
                    keep(file, position, count);
                }
            } catch (IOException e) {
                fail(HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot read the file: " + e.getMessage());
                return;
            }
            end();
        }

        @Override
        public void upgrade(HttpResponse switching, Channel peer) {
            peer.close();
            fail(HttpResponseStatus.BAD_GATEWAY, "the function switched protocols");
        }

        @Override
        public void flush() {}

        @Override
        public void write(ByteBuf content) {
            try {
                if (!done && started) {
                    keep(content);
                }
            } finally {
                content.release();
            }
        }

        @Override
        public void whenWritable(Runnable task) {
            if (!done) {
                task.run();
            }
        }

        @Override
        void completeResponse() {
            finish(new Result(status, contentType, body.toByteArray(), false, callId));
        }

        @Override
        public void fail(HttpResponseStatus failure, String message) {
            if (done) {
                return;
            }
            if (timedOut) {
                // The call's own answer to its timeout (504, or 503 while it waited for a process).
                failure = HttpResponseStatus.SERVICE_UNAVAILABLE;
                message = timeoutMessage();
            }
            String text = "ready_path " + readyPath + ": " + message;
            Log.info("GET /_/ready: " + failure.code() + " " + text);
            finish(new Result(failure, null, text.getBytes(StandardCharsets.UTF_8), true, callId));
        }

        private String timeoutMessage() {
            return "did not answer within exec_timeout (" + Responses.duration(config.execTimeout()) + ")";
        }

        private void finish(Result answer) {
            done = true;
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
            completed(result, answer);
        }

        private void keep(ByteBuf content) {
            int room = MAX_BODY - body.size();
            int n = Math.min(room, content.readableBytes());
            if (n > 0) {
                byte[] bytes = new byte[n];
                content.getBytes(content.readerIndex(), bytes);
                body.writeBytes(bytes);
            }
        }

        /** Up to {@link #MAX_BODY} bytes of a file, read on the event loop as static mode's lookups are. */
        private void keep(FileChannel file, long position, long count) throws IOException {
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(count, MAX_BODY - body.size()));
            while (buffer.hasRemaining() && file.read(buffer, position + buffer.position()) >= 0) {
                // read until the bytes wanted are in, or the file ends
            }
            body.write(buffer.array(), 0, buffer.position());
        }
    }
}
