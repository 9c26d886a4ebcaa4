package io.fwatchdog.server;

import io.fwatchdog.mode.Call;
import io.fwatchdog.mode.Exchange;
import io.fwatchdog.mode.Responses;
import io.fwatchdog.mode.Tunnel;
import io.fwatchdog.log.Log;
import io.fwatchdog.metrics.Metrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.FileRegion;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The HTTP front of one connection: answers the reserved endpoints, admits requests for the
 * function and hands them to the mode, enforces the timeouts, and writes the access log.
 *
 * <p>Reads are pulled: auto-read is off and a {@code FlowControlHandler} upstream delivers one
 * message per {@code read()}. Between requests the handler reads the next request; during a
 * request the mode pulls body pieces as fast as the function takes them. Requests on one
 * connection are served one at a time, so pipelined requests simply wait their turn.
 */
final class FrontHandler extends ChannelInboundHandlerAdapter {

    /** User event: the watchdog is draining; close when idle, and after the current request. */
    static final Object DRAIN = new Object();

    /** Longest a half-closed connection reads and drops a client's unread input before it is closed. */
    static final Duration LINGER = Duration.ofSeconds(2);
    /**
     * Most body bytes a half-closed connection drops before it is closed: enough for a client
     * to finish an upload it had nearly sent, not enough to make refusing a huge one costly.
     */
    static final long LINGER_BYTES = 16L << 20;
    private static final String HEALTH = "/_/health";
    private static final String READY = "/_/ready";

    private final Front front;
    private ChannelHandlerContext ctx;
    private FunctionExchange current;
    /** Skipping the (empty) remainder of a request answered without reading its body. */
    private boolean discarding;
    private boolean closeWhenIdle;
    /** A {@code /_/ready} waits for the {@code ready_path} probe; the connection reads nothing meanwhile. */
    private boolean probing;
    /** A {@code read()} was asked for and no message has answered it yet. */
    private boolean readWanted;
    /** Answered and half-closed: input is read and dropped until the client closes (see {@link #closeAfter}). */
    private boolean lingering;
    /** Bytes dropped while lingering. */
    private long lingered;
    private ScheduledFuture<?> readTimer;

    FrontHandler(Front front) {
        this.front = front;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        front.connections.add(ctx.channel());
        if (front.closing()) {
            ctx.close();
            return;
        }
        awaitNextRequest();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readWanted = false;
        if (lingering) {
            if (msg instanceof HttpContent content) {
                lingered += content.content().readableBytes();
            }
            ReferenceCountUtil.release(msg);
            if (lingered > LINGER_BYTES) {
                ctx.close();
            } else {
                read();
            }
            return;
        }
        if (msg instanceof HttpRequest request) {
            onRequest(request);
            // A request the decoder could not parse arrives as one full message: its content
            // (if any) was handled with the rejection.
            if (msg instanceof HttpContent) {
                ReferenceCountUtil.release(msg);
            }
        } else if (msg instanceof HttpContent content) {
            onContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(HttpRequest request) {
        if (request.decoderResult().isFailure()) {
            rejectMalformed(request.decoderResult().cause());
            return;
        }
        cancelReadTimer();
        if (hasBody(request)) {
            armReadTimer(); // read_timeout bounds receiving the body; a response is bounded by write_timeout
        }
        String path = pathOf(request.uri());
        if (path.equals(HEALTH) || path.equals(READY)) {
            answerProbe(request, path.equals(READY));
            return;
        }
        if (front.closing()) {
            front.metrics.rejected(Metrics.Rejection.SHUTTING_DOWN);
            front.metrics.requestEnded(request.method().name(), HttpResponseStatus.SERVICE_UNAVAILABLE.code(), 0, 0, 0);
            answerSimple(request, Responses.plain(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "the watchdog is shutting down and takes no new requests"), true);
            return;
        }
        FunctionExchange exchange = new FunctionExchange(request);
        current = exchange;
        exchange.admit();
    }

    private void onContent(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            ReferenceCountUtil.release(content);
            rejectMalformed(content.decoderResult().cause());
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (last) {
            cancelReadTimer();
        }
        if (current != null && !current.done) {
            current.deliver(content);
            return;
        }
        ReferenceCountUtil.release(content);
        if (discarding && last) {
            discarding = false;
            awaitNextRequest();
        } else if (discarding) {
            read();
        }
    }

    /** Malformed input never reaches the function: 400 (431, 414 for sizes) and close. */
    private void rejectMalformed(Throwable cause) {
        HttpResponseStatus status;
        String message;
        if (cause instanceof FrontCodec.Refusal refusal) {
            status = refusal.status;
            message = refusal.status.code() == 400 ? "malformed request: " + refusal.getMessage() : refusal.getMessage();
        } else if (cause instanceof TooLongHttpHeaderException) {
            status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
            message = "request headers exceed max_header_size (" + front.config.maxHeaderSize() + " bytes)";
        } else if (cause instanceof TooLongHttpLineException) {
            status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
            message = "request line too long";
        } else if (cause instanceof TooLongFrameException) {
            status = HttpResponseStatus.BAD_REQUEST;
            message = "malformed request: " + cause.getMessage();
        } else {
            status = HttpResponseStatus.BAD_REQUEST;
            message = "malformed request: " + (cause == null ? "unparsable" : cause.getMessage());
        }
        if (current != null && !current.done) {
            current.abort(status, message);
            ctx.close();
            return;
        }
        FullHttpResponse response = Responses.plain(ctx.alloc(), status, message);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        cancelReadTimer();
        closeAfter(ctx.writeAndFlush(response), true);
    }

    private void answerProbe(HttpRequest request, boolean readiness) {
        HttpMethod method = request.method();
        FullHttpResponse response;
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            response = Responses.plain(ctx.alloc(), HttpResponseStatus.METHOD_NOT_ALLOWED,
                    method + " is not allowed on " + (readiness ? READY : HEALTH) + "; use GET or HEAD");
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
        } else if (!front.healthy()) {
            response = unhealthy();
        } else if (readiness && front.config.maxInflight() > 0 && front.admission.saturated()) {
            response = Responses.plain(ctx.alloc(), HttpResponseStatus.TOO_MANY_REQUESTS,
                    "busy: max_inflight (" + front.concurrency + ") requests in flight");
        } else if (readiness && front.readyProbe.isPresent()) {
            askFunction(request, front.readyProbe.get());
            return;
        } else {
            response = Responses.plain(ctx.alloc(), HttpResponseStatus.OK, "OK");
            response.headers().remove(Responses.INTERNAL_HEADER);
        }
        answerSimple(request, response, false);
    }

    /**
     * Answers {@code /_/ready} with the {@code ready_path} probe's result. The wait is bounded by
     * {@code exec_timeout}, not {@code read_timeout}: the request itself has arrived.
     */
    private void askFunction(HttpRequest request, ReadyProbe probe) {
        cancelReadTimer();
        probing = true;
        probe.probe(request, ctx.channel()).thenAccept(result -> ctx.executor().execute(() -> {
            probing = false;
            if (!ctx.channel().isActive()) {
                return;
            }
            armReadTimer();
            // Health may have failed meanwhile (shutdown, an upstream that exited): it comes first.
            FullHttpResponse response = front.healthy() ? result.response(ctx.alloc()) : unhealthy();
            answerSimple(request, response, false);
        }));
    }

    /** The probes' 503 while the watchdog is not healthy, saying why. */
    private FullHttpResponse unhealthy() {
        return Responses.plain(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE,
                front.health.draining() ? "shutting down" : "function not ready");
    }

    /** Answers without involving the function; the request body, if any, is not read. */
    private void answerSimple(HttpRequest request, FullHttpResponse response, boolean close) {
        boolean keepAlive = !close && !closeWhenIdle && HttpUtil.isKeepAlive(request) && !hasBody(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        if (!keepAlive) {
            cancelReadTimer();
            closeAfter(ctx.writeAndFlush(response), hasBody(request));
            return;
        }
        ctx.writeAndFlush(response);
        discarding = true;
        read();
    }

    /**
     * Closes the connection once {@code written} is sent. When the client may still be sending
     * input the watchdog has not read (a body it answered without, a request it refused), the
     * close is lingering: output is shut down, and what arrives is read and dropped until the
     * client closes, {@link #LINGER} passes or {@link #LINGER_BYTES} have come. Closing with unread input would reset the
     * connection, and a reset can destroy the answer in the client's receive buffer before the
     * client has read it.
     */
    private void closeAfter(ChannelFuture written, boolean unreadInput) {
        if (!unreadInput) {
            written.addListener(ChannelFutureListener.CLOSE);
            return;
        }
        written.addListener(sent -> {
            if (!sent.isSuccess() || !(ctx.channel() instanceof DuplexChannel duplex) || !duplex.isActive()) {
                ctx.close();
                return;
            }
            lingering = true;
            ctx.executor().schedule(() -> ctx.close(), LINGER.toNanos(), TimeUnit.NANOSECONDS);
            duplex.shutdownOutput();
            read();
        });
    }

    private void awaitNextRequest() {
        if (closeWhenIdle) {
            ctx.close();
            return;
        }
        armReadTimer();
        read();
    }

    /**
     * The one place reads are asked for. {@code FlowControlHandler} counts a read as answered by
     * the end of the socket read cycle it was issued in, even when no message came of it (the
     * bytes so far were only part of a request); such a read is asked for again here, or the
     * connection would stall with the rest of the request unread.
     */
    private void read() {
        readWanted = true;
        ctx.read();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (readWanted) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DRAIN) {
            closeWhenIdle = true;
            if (current == null && !discarding && !probing) {
                ctx.close();
            }
            return;
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && current != null) {
            current.runWritableTask();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelReadTimer();
        if (current != null && !current.done) {
            current.abort(null, "client closed the connection");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof java.io.IOException)) {
            Log.error("connection " + ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    private void armReadTimer() {
        if (readTimer != null) {
            return;
        }
        long nanos = front.config.readTimeout().toNanos();
        if (nanos > 0) {
            readTimer = ctx.executor().schedule(this::readTimedOut, nanos, TimeUnit.NANOSECONDS);
        }
    }

    private void cancelReadTimer() {
        if (readTimer != null) {
            readTimer.cancel(false);
            readTimer = null;
        }
    }

    private void readTimedOut() {
        readTimer = null;
        if (current != null && !current.done && !current.bodyComplete) {
            current.abort(HttpResponseStatus.REQUEST_TIMEOUT, "request not received within read_timeout ("
                    + Responses.duration(front.config.readTimeout()) + ")");
            ctx.close();
        } else if (current == null) {
            ctx.close();
        }
    }

    private static boolean hasBody(HttpRequest request) {
        return HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
    }

    private static String pathOf(String uri) {
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }

    /** One request for the function, from arrival to the end of its response. */
    final class FunctionExchange implements Exchange {
        private final HttpRequest request;
        private final String callId;
        private final long startNanos = System.nanoTime();
        private final boolean head;
        private Call call;
        private Runnable withdraw;
        private boolean admitted;
        private boolean started;
        private boolean done;
        private boolean bodyComplete;
        private boolean closeAfter;
        private int status;
        private long bytes;
        private long bodyBytes;
        private Runnable writableTask;
        private ScheduledFuture<?> execTimer;
        private ScheduledFuture<?> writeTimer;

        FunctionExchange(HttpRequest request) {
            this.request = request;
            this.head = request.method().equals(HttpMethod.HEAD);
            String id = request.headers().get(Responses.CALL_ID);
            if (id == null || id.isEmpty()) {
                id = Responses.newCallId();
                request.headers().set(Responses.CALL_ID, id);
            }
            this.callId = id;
            front.exchangeStarted();
        }

        void admit() {
            withdraw = front.admission.request(ctx.executor(), new Admission.Listener() {
                @Override
                public void admitted() {
                    withdraw = null;
                    if (done) {
                        front.admission.release();
                        return;
                    }
                    admitted = true;
                    if (front.config.hasExecTimeout()) {
                        execTimer = ctx.executor().schedule(() -> {
                            if (!done && call != null) {
                                call.onTimeout();
                            }
                        }, front.config.execTimeout().toNanos(), TimeUnit.NANOSECONDS);
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
        public HttpRequest request() {
            return request;
        }

        @Override
        public String callId() {
            return callId;
        }

        @Override
        public EventLoop eventLoop() {
            return ctx.channel().eventLoop();
        }

        @Override
        public java.net.SocketAddress remoteAddress() {
            return ctx.channel().remoteAddress();
        }

        @Override
        public ByteBufAllocator alloc() {
            return ctx.alloc();
        }

        @Override
        public void requestBody() {
            if (!done && !bodyComplete) {
                read();
            }
        }

        @Override
        public boolean bodyComplete() {
            return bodyComplete;
        }

        @Override
        public boolean responseStarted() {
            return started;
        }

        @Override
        public boolean done() {
            return done;
        }

        @Override
        public void respond(HttpResponse response) {
            startResponse(response);
            ctx.write(response);
            long writeNanos = front.config.writeTimeout().toNanos();
            if (writeNanos > 0) {
                writeTimer = ctx.executor().schedule(() -> abort(null,
                        "response not sent within write_timeout (" + Responses.duration(front.config.writeTimeout()) + ")"),
                        writeNanos, TimeUnit.NANOSECONDS);
            }
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
        public void sendFile(HttpResponse response, FileRegion body) {
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
            if (done || started) {
                throw new IllegalStateException("response already started");
            }
            started = true;
            status = response.status().code();
            response.headers().set(Responses.CALL_ID, callId);
            if (!HttpUtil.isKeepAlive(request) || closeWhenIdle) {
                closeAfter = true;
            }
            if (closeAfter) {
                HttpUtil.setKeepAlive(response, false);
            }
        }

        @Override
        public void write(ByteBuf content) {
            if (done || !started || head) {
                content.release();
                return;
            }
            bytes += content.readableBytes();
            ctx.writeAndFlush(new DefaultHttpContent(content), ctx.voidPromise());
        }

        @Override
        public void upgrade(HttpResponse switching, io.netty.channel.Channel peer, Tunnel peerTunnel, Runnable switched) {
            if (done || started) {
                throw new IllegalStateException("response already started");
            }
            started = true;
            status = switching.status().code();
            switching.headers().set(Responses.CALL_ID, callId);
            cancelReadTimer();
            ctx.writeAndFlush(switching).addListener(written -> {
                if (!written.isSuccess() || !peer.isActive()) {
                    peer.close();
                    abort(null, "upgrade failed: the client or the upstream went away");
                    return;
                }
                // From here on the connection carries another protocol: no HTTP handler may see it.
                ChannelPipeline pipeline = ctx.pipeline();
                Tunnel tunnel = new Tunnel();
                pipeline.addLast(tunnel);
                pipeline.remove(HttpServerExpectContinueHandler.class);
                pipeline.remove(FlowControlHandler.class);
                pipeline.remove(FrontCodec.class); // bytes it held pass on to the tunnel
                Channel client = ctx.channel();
                closeAfter = true;
                client.closeFuture().addListener(closed -> finish(client::newSucceededFuture));
                pipeline.remove(FrontHandler.this);
                tunnel.connect(peer);
                peerTunnel.connect(client);
                switched.run();
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
        public void end() {
            if (done) {
                return;
            }
            if (!started) {
                throw new IllegalStateException("end() before respond()");
            }
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
            Log.info(request.method() + " " + request.uri() + ": " + failure.code() + " " + message);
            if (!bodyComplete && hasBody(request)) {
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
            if (execTimer != null) {
                execTimer.cancel(false);
            }
            if (writeTimer != null) {
                writeTimer.cancel(false);
            }
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
            current = null;
            ChannelFuture written = lastWrite.get();
            if (!closeAfter && !bodyComplete && hasBody(request)) {
                closeAfter = true;
            }
            if (closeAfter) {
                cancelReadTimer();
                closeAfter(written, !bodyComplete && hasBody(request));
            } else if (!bodyComplete) {
                discarding = true;
                read();
            } else {
                awaitNextRequest();
            }
        }

        private void accessLog(long nanos) {
            String agent = request.headers().get(HttpHeaderNames.USER_AGENT);
            if (agent != null && agent.startsWith("kube-probe")) {
                return;
            }
            Log.access(request.method().name(), request.uri(), status, bytes, nanos, callId);
        }
    }
}
