package io.fwatchdog.server;

import io.fwatchdog.mode.Call;
import io.fwatchdog.mode.Responses;
import io.fwatchdog.mode.Tunnel;
import io.fwatchdog.log.Log;
import io.fwatchdog.metrics.Metrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import java.nio.channels.FileChannel;

/** One request for the function, from arrival to the end of its response. */
final class FunctionExchange extends ChannelExchange {
    private final FrontHandler connection;
    private final ChannelHandlerContext ctx;
    private final Front front;
    private final long startNanos = System.nanoTime();
    private final boolean head;
    private Call call;
    private Runnable withdraw;
    private boolean admitted;
    private boolean bodyComplete;
    private boolean closeAfter;
    private int status;
    private long bytes;
    private long bodyBytes;
    private Runnable writableTask;
    /** The function's time was an Fn call's deadline, sooner than exec_timeout: a 504 says so. */
    private boolean deadlineFirst;

    FunctionExchange(FrontHandler connection, ChannelHandlerContext ctx, Front front, HttpRequest request) {
        super(request, callIdOf(request), ctx.channel());
        this.connection = connection;
        this.ctx = ctx;
        this.front = front;
        this.head = request.method().equals(HttpMethod.HEAD);
        front.exchangeStarted();
    }

    /** The request's {@code X-Call-Id}; one is generated, and given to the function, when it has none. */
    private static String callIdOf(HttpRequest request) {
        String id = request.headers().get(Responses.CALL_ID);
        if (id == null || id.isEmpty()) {
            id = Responses.newCallId();
            request.headers().set(Responses.CALL_ID, id);
        }
        return id;
    }

    @Override
    public Optional<Instant> deadline() {
        return request instanceof FnCallRequest fn ? fn.deadline : Optional.empty();
    }

    void admit() {
        Long limit = execLimitNanos();
        if (limit != null && limit <= 0) {
            fail(HttpResponseStatus.GATEWAY_TIMEOUT, "the call's Fn-Deadline passed before it reached the function");
            return;
        }
        withdraw = front.admission.request(ctx.executor(), new Admission.Listener() {
            @Override
            public void admitted() {
                withdraw = null;
                if (done) {
                    front.admission.release();
                    return;
                }
                admitted = true;
                Long nanos = execLimitNanos();
                if (nanos != null) {
                    connection.execTimer().set(Math.max(0, nanos));
                }
                call = front.mode.open(FunctionExchange.this);
            }

            @Override
            public void rejected(Admission.Rejection reason) {
                withdraw = null;
                if (reason == Admission.Rejection.FULL) {
                    front.metrics.rejected(Metrics.Rejection.MAX_INFLIGHT);
                    fail(HttpResponseStatus.TOO_MANY_REQUESTS,
                            "Concurrent request limit exceeded. Max concurrent requests: " + front.concurrency);
                } else {
                    front.metrics.rejected(Metrics.Rejection.QUEUE_TIMEOUT);
                    fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "no free slot within exec_timeout ("
                            + Responses.duration(front.config.execTimeout()) + "): " + front.limits());
                }
            }
        });
    }

    /**
     * The function's time from now: {@code exec_timeout}, shortened to an Fn call's
     * {@code Fn-Deadline} when that comes sooner; null for no limit.
     */
    private Long execLimitNanos() {
        Long limit = front.config.hasExecTimeout() ? front.config.execTimeout().toNanos() : null;
        if (request instanceof FnCallRequest fn && fn.deadline.isPresent()) {
            long left = Duration.between(Instant.now(), fn.deadline.get()).toNanos();
            deadlineFirst = limit == null || left < limit;
            limit = deadlineFirst ? left : limit;
        }
        return limit;
    }

    void deliver(HttpContent content) {
        if (content instanceof LastHttpContent) {
            bodyComplete = true;
        }
        bodyBytes += content.content().readableBytes();
        if (call == null) {
            ReferenceCountUtil.release(content);
            return;
        }
        call.onBody(content);
    }

    @Override
    public void requestBody() {
        if (done || bodyComplete) {
            return;
        }
        if (call == null) {
            // Asked from inside Mode.open, before the call it returns is known: a read now could
            // deliver the piece at once (an admission from the queue runs outside the read
            // cycle) and the piece would find no call to take it. It is asked for just after.
            ctx.executor().execute(this::requestBody);
            return;
        }
        connection.read();
    }

    @Override
    public boolean bodyComplete() {
        return bodyComplete;
    }

    @Override
    public void respond(HttpResponse response) {
        startResponse(response);
        ctx.write(response, ctx.voidPromise()); // a failed write fails the connection, which aborts the exchange
        long writeNanos = front.config.writeTimeout().toNanos();
        if (writeNanos > 0) {
            connection.writeTimer().set(writeNanos);
        }
    }

    /** {@code exec_timeout} (or an Fn call's deadline) has passed. */
    void execTimedOut() {
        if (!done && call != null) {
            call.onTimeout();
        }
    }

    void writeTimedOut() {
        abort(null, "response not sent within write_timeout (" + Responses.duration(front.config.writeTimeout()) + ")");
    }

    @Override
    public void send(FullHttpResponse response) {
        if (done) {
            response.release();
            return;
        }
        startResponse(response);
        bytes = response.content().readableBytes();
        finish(() -> ctx.writeAndFlush(response));
    }

    @Override
    public void sendFile(HttpResponse response, FileChannel file, long position, long count) {
        FileRegion body = file == null ? null : new DefaultFileRegion(file, position, count);
        if (done || head) {
            if (body != null) {
                body.release();
            }
            if (done) {
                return;
            }
            body = null;
        }
        respond(response);
        if (body != null) {
            bytes = body.count();
            ctx.write(body);
        }
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(written -> {
            if (done) {
                return; // aborted meanwhile (write_timeout, client gone)
            }
            if (written.isSuccess()) {
                finish(ctx::newSucceededFuture);
            } else {
                abort(null, "response not sent: " + written.cause());
            }
        });
    }

    private void startResponse(HttpResponse response) {
        markStarted();
        status = response.status().code();
        response.headers().set(Responses.CALL_ID, callId);
        if (!HttpUtil.isKeepAlive(request) || connection.closingWhenIdle()) {
            closeAfter = true;
        }
        if (closeAfter) {
            HttpUtil.setKeepAlive(response, false);
        }
    }

    @Override
    public void write(ByteBuf content) {
        if (counted(content)) {
            ctx.writeAndFlush(new DefaultHttpContent(content), ctx.voidPromise());
        }
    }

    @Override
    public void append(ByteBuf content) {
        if (counted(content)) {
            ctx.write(new DefaultHttpContent(content), ctx.voidPromise());
        }
    }

    /** The last piece and the end in one write: one pass through the encoder instead of two. */
    @Override
    public void end(ByteBuf last) {
        if (!counted(last)) {
            end();
            return;
        }
        finish(() -> ctx.writeAndFlush(new DefaultLastHttpContent(last, EmptyHttpHeaders.INSTANCE)));
    }

    /**
     * Counts a body piece that is to be sent; releases it and says false when the response
     * sends no body (not started, ended, or the answer to a HEAD).
     */
    private boolean counted(ByteBuf content) {
        if (done || !started || head) {
            content.release();
            return false;
        }
        bytes += content.readableBytes();
        return true;
    }

    @Override
    public void upgrade(HttpResponse switching, Channel peer) {
        markStarted();
        status = switching.status().code();
        switching.headers().set(Responses.CALL_ID, callId);
        connection.cancelReadTimer();
        ctx.writeAndFlush(switching).addListener(written -> {
            if (!written.isSuccess() || !peer.isActive()) {
                peer.close();
                abort(null, "upgrade failed: the client or the upstream went away");
                return;
            }
            // From here on the connection carries another protocol: no HTTP handler may see it.
            Channel client = ctx.channel();
            closeAfter = true;
            client.closeFuture().addListener(closed -> finish(client::newSucceededFuture));
            Tunnel.splice(client, peer);
        });
    }

    @Override
    public void flush() {
        if (!done) {
            ctx.flush();
        }
    }

    @Override
    public void whenWritable(Runnable task) {
        if (done) {
            return;
        }
        if (ctx.channel().isWritable()) {
            task.run();
        } else {
            writableTask = task;
        }
    }

    void runWritableTask() {
        Runnable task = writableTask;
        writableTask = null;
        if (task != null && !done) {
            task.run();
        }
    }

    @Override
    void completeResponse() {
        finish(() -> ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
    }

    @Override
    public void fail(HttpResponseStatus failure, String message) {
        if (done) {
            return;
        }
        if (started) {
            Log.warn(request.method() + " " + request.uri() + ": response cut after it started: " + message);
            closeAfter = true;
            ctx.flush(); // what was sent stays sent: the head and status the access line reports
            finish(ctx::newSucceededFuture); // closes once done: pending writes then fail quietly
            return;
        }
        if (request instanceof FnCallRequest fn) {
            fn.watchdogFailure = true;
            if (deadlineFirst && admitted && failure.code() == HttpResponseStatus.GATEWAY_TIMEOUT.code()) {
                message = "function did not answer by the call's Fn-Deadline (" + fn.deadline.orElseThrow() + ")";
            }
        }
        // A 5xx is the function's or the watchdog's failure, worth a warning; a 4xx is the client's.
        String line = request.method() + " " + request.uri() + ": " + failure.code() + " " + message;
        if (failure.codeClass() == HttpStatusClass.SERVER_ERROR) {
            Log.warn(line);
        } else {
            Log.info(line);
        }
        if (!bodyComplete && FrontHandler.hasBody(request)) {
            closeAfter = true; // the unread rest of the body would be taken for the next request
        }
        send(Responses.plain(ctx.alloc(), failure, message));
    }

    /** Ends the exchange from the front's side: the call is cancelled first. */
    void abort(HttpResponseStatus failure, String message) {
        if (done) {
            return;
        }
        if (call != null) {
            call.cancel();
        }
        if (failure == null) {
            if (!started) {
                status = 499;
            }
            closeAfter = true;
            Log.info(request.method() + " " + request.uri() + ": " + message);
            finish(ctx::newSucceededFuture); // closes once done: pending writes then fail quietly
        } else {
            fail(failure, message);
        }
    }

    /**
     * Ends the exchange once: the admission slot, the in-flight count and the metrics are
     * settled here and nowhere else, before {@code lastWrite} sends the response's last
     * bytes, so that a client holding the whole response finds them settled. With
     * {@code closeAfter} the connection closes when that write completes.
     */
    private void finish(Supplier<ChannelFuture> lastWrite) {
        if (done) {
            return;
        }
        done = true;
        writableTask = null;
        connection.execTimer().clear();
        connection.writeTimer().clear();
        if (withdraw != null) {
            withdraw.run();
            withdraw = null;
        }
        if (admitted) {
            front.admission.release();
        }
        front.exchangeEnded();
        long nanos = System.nanoTime() - startNanos;
        front.metrics.requestEnded(request.method().name(), status, nanos, bodyBytes, bytes);
        accessLog(nanos);
        connection.ended(lastWrite.get(), closeAfter, bodyComplete, FrontHandler.hasBody(request));
    }

    private void accessLog(long nanos) {
        String agent = request.headers().get(HttpHeaderNames.USER_AGENT);
        if (agent != null && agent.startsWith("kube-probe")) {
            return;
        }
        Log.access(request.method().name(), request.uri(), status, bytes, nanos, callId);
    }
}
