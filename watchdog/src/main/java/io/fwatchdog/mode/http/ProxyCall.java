package io.fwatchdog.mode.http;

import io.fwatchdog.config.Config;
import io.fwatchdog.log.Log;
import io.fwatchdog.mode.Call;
import io.fwatchdog.mode.BodyBuffer;
import io.fwatchdog.mode.Exchange;
import io.fwatchdog.mode.ProxyHeaders;
import io.fwatchdog.mode.Responses;
import io.fwatchdog.mode.Tunnel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One request proxied to the upstream, on the client connection's event loop.
 *
 * <pre>
 *   client ──request head──▶ ProxyCall ──head (hop-by-hop stripped, X-Forwarded-*)──▶ upstream
 *   client ──body piece───▶ onBody ──writeAndFlush──▶ upstream      (next piece once written)
 *   client ◀──head, piece── onUpstream ◀──read()───── upstream      (next read once the client
 *                                                                    connection is writable)
 * </pre>
 *
 * Both directions are pull loops with one piece in flight, so neither side's speed makes the
 * other buffer. The request keeps its framing: Content-Length stays Content-Length, chunked stays
 * chunked; with {@code buffer_http} the body is collected first and sent with a Content-Length.
 * {@code exec_timeout} (shortened by {@code X-Timeout}) bounds the time to the response head.
 *
 * <p>To an Fn function ({@code upstream_protocol=fn}) the head goes as an Fn call and its answer
 * comes back translated ({@link FnProtocol}); bodies pass as they are, in the same pull loops.
 */
final class ProxyCall implements Call, Connections.Taker {
    private static final AsciiString X_TIMEOUT = AsciiString.cached("X-Timeout");
    private static final AsciiString X_DURATION = AsciiString.cached("X-Duration-Seconds");

    private final HttpMode mode;
    private final Exchange exchange;
    private final EventLoop loop;
    private final HttpRequest request;
    private final long startNanos = System.nanoTime();
    private final boolean hasBody;
    /** The client asked to switch protocols (a websocket); the upstream may agree with a 101. */
    private final String upgrade;
    private ScheduledFuture<?> shortTimeout;
    /** The call's time limit, {@code X-Timeout} or {@code exec_timeout}; null for none. */
    private final Duration limit;
    /** Fn: the translated status has no body (204, 304), so the FDK's is dropped. */
    private boolean discardBody;
    private BodyBuffer buffered;
    /** A chunked request's head, sent with its first chunk. */
    private HttpRequest heldHead;
    private Connections pool;
    private Channel upstream;
    /** The whole request, body included, has been written upstream. */
    private boolean requestSent;
    private boolean responseComplete;
    private boolean responseKeepAlive;
    private boolean over;
    private int interims;
    /** The message being read is an interim response, skipped. */
    private boolean inInterim;

    ProxyCall(HttpMode mode, Exchange exchange) {
        this.mode = mode;
        this.exchange = exchange;
        this.loop = exchange.eventLoop();
        this.request = exchange.request();
        this.hasBody = HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
        // An Fn call is one request and one answer: there is no protocol to switch to.
        this.upgrade = mode.fn.isEmpty() && request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                ? request.headers().get(HttpHeaderNames.UPGRADE) : null;
        Optional<Duration> shortened = shortenedTimeout();
        shortened.ifPresent(timeout -> shortTimeout = loop.schedule(this::onTimeout,
                timeout.toNanos(), TimeUnit.NANOSECONDS));
        this.limit = shortened.orElse(mode.config.hasExecTimeout() ? mode.config.execTimeout() : null);
        if (mode.config.bufferHttp() && hasBody) {
            buffered = BodyBuffer.open(exchange, mode.config.maxBodySize()).orElse(null);
            if (buffered == null) {
                finish(false);
                return;
            }
            exchange.requestBody();
        } else {
            whenUpstreamReady();
        }
    }

    /** {@code X-Timeout} when it is a valid duration shorter than {@code exec_timeout}. */
    private Optional<Duration> shortenedTimeout() {
        String header = request.headers().get(X_TIMEOUT);
        if (header == null) {
            return Optional.empty();
        }
        Config config = mode.config;
        return Config.parseDuration(header.trim())
                .filter(timeout -> !timeout.isZero())
                .filter(timeout -> !config.hasExecTimeout() || timeout.compareTo(config.execTimeout()) < 0);
    }

    /** Requests arriving while the upstream (re)starts wait for it, bounded by exec_timeout. */
    private void whenUpstreamReady() {
        if (mode.supervisor.ready()) {
            connect();
            return;
        }
        mode.supervisor.whenReady().whenComplete((ignored, error) -> loop.execute(() -> {
            if (over) {
                return;
            }
            if (error != null) {
                finish(false);
                exchange.fail(HttpResponseStatus.BAD_GATEWAY, "upstream unavailable: " + error.getMessage());
            } else {
                connect();
            }
        }));
    }

    private void connect() {
        pool = mode.pool(loop);
        pool.acquire(this);
    }

    @Override
    public void acquired(Channel channel) {
        if (over) {
            pool.release(channel);
            return;
        }
        attach(channel);
    }

    @Override
    public void acquireFailed(Throwable cause) {
        if (!over) {
            finish(false);
            exchange.fail(HttpResponseStatus.BAD_GATEWAY, "cannot connect to upstream " + mode.upstream.display()
                    + ": " + describe(cause));
        }
    }

    private void attach(Channel channel) {
        upstream = channel;
        channel.pipeline().get(UpstreamHandler.class).call = this;
        HttpRequest head = upstreamRequest();
        if (buffered != null) {
            ByteBuf body = buffered.take();
            buffered = null;
            DefaultFullHttpRequest full = new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(),
                    body, head.headers(), io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE);
            HttpUtil.setContentLength(full, body.readableBytes());
            full.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            channel.writeAndFlush(full).addListener(this::requestWritten);
        } else if (!hasBody) {
            channel.writeAndFlush(new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(),
                    Unpooled.EMPTY_BUFFER, head.headers(), io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE))
                    .addListener(this::requestWritten);
        } else if (HttpUtil.isTransferEncodingChunked(request)) {
            // Held back until the first chunk has been decoded: a request whose chunk framing is
            // bad from the start never reaches the upstream at all.
            heldHead = head;
            exchange.requestBody();
        } else {
            channel.writeAndFlush(head).addListener(future -> {
                if (future.isSuccess()) {
                    exchange.requestBody();
                } else {
                    upstreamFailed(future.cause());
                }
            });
        }
        channel.read();
    }

    private void requestWritten(Future<? super Void> future) {
        if (future.isSuccess()) {
            requestSent = true;
            maybeRelease();
        } else {
            upstreamFailed(future.cause());
        }
    }

    /** The request head as the upstream sees it. */
    private HttpRequest upstreamRequest() {
        // Without hop-by-hop headers and Expect (answered by the front already; the body follows
        // without waiting), and without the framing: the one sent is the one the front decoded,
        // whatever the headers said besides. An HTTP/1.0 client may omit Host; the HTTP/1.1
        // request made of it may not (RFC 9112 §3.2).
        HttpHeaders headers = ProxyHeaders.forFunction(request.headers(), exchange.remoteAddress(), mode.upstreamHost);
        long length = HttpUtil.getContentLength(request, -1L);
        if (HttpUtil.isTransferEncodingChunked(request)) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        } else if (length >= 0) {
            headers.set(HttpHeaderNames.CONTENT_LENGTH, length);
        }
        if (upgrade != null) {
            // Hop-by-hop, yet the one request where the upstream must see them.
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            headers.set(HttpHeaderNames.UPGRADE, upgrade);
        }
        if (mode.fn.isPresent()) {
            Instant own = Instant.now().plus(limit != null ? limit : FnProtocol.NO_DEADLINE);
            // Behind Fn itself, the FDK is told the caller's deadline when that comes first.
            Instant deadline = exchange.deadline().filter(caller -> caller.isBefore(own)).orElse(own);
            return FnProtocol.call(request.method(), request.uri(), headers, exchange.callId(), deadline);
        }
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), mode.upstream.target(request.uri()), headers);
    }

    @Override
    public void onBody(HttpContent piece) {
        if (over) {
            piece.release();
            return;
        }
        if (buffered != null) {
            collect(piece);
            return;
        }
        if (upstream == null) {
            piece.release();
            return;
        }
        boolean last = piece instanceof LastHttpContent;
        if (heldHead != null) {
            upstream.write(heldHead, upstream.voidPromise());
            heldHead = null;
        }
        upstream.writeAndFlush(piece).addListener(future -> {
            if (!future.isSuccess()) {
                upstreamFailed(future.cause());
            } else if (last) {
                requestSent = true;
                maybeRelease();
            } else if (!over) {
                exchange.requestBody();
            }
        });
    }

    private void collect(HttpContent piece) {
        boolean last = piece instanceof LastHttpContent;
        if (!buffered.add(piece)) {
            buffered = null;
            finish(false);
            return;
        }
        if (last) {
            whenUpstreamReady();
        } else {
            exchange.requestBody();
        }
    }

    /** A message from the upstream: the response head, then body pieces. */
    void onUpstream(Object msg) {
        try {
            if (over) {
                return;
            }
            if (msg instanceof HttpResponse response) {
                if (response.decoderResult().isFailure()) {
                    upstreamFailed(response.decoderResult().cause());
                    return;
                }
                if (response.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
                    switchProtocols(response);
                    return;
                }
                if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                    // 100 Continue and the like concern the hop, not the client; exec_timeout
                    // still runs, and an upstream that only ever says "wait" is broken.
                    if (++interims > ProxyHeaders.MAX_INTERIM_RESPONSES) {
                        upstreamFailed(new IllegalStateException("more than " + ProxyHeaders.MAX_INTERIM_RESPONSES
                                + " interim (1xx) responses"));
                    }
                    inInterim = !(msg instanceof LastHttpContent);
                    return;
                }
                respond(response);
            } else if (inInterim) {
                inInterim = !(msg instanceof LastHttpContent); // the interim response's (empty) end
                return;
            }
            if (msg instanceof HttpContent content) {
                if (content.decoderResult().isFailure()) {
                    upstreamFailed(content.decoderResult().cause());
                    return;
                }
                boolean last = content instanceof LastHttpContent;
                if (content.content().isReadable() && !discardBody) {
                    // Flushed at the end of the read cycle (upstreamReadComplete) or by end():
                    // one write to the client per batch the upstream sent, not one per piece.
                    // The last piece and the end go as one message: one encoder pass, not two.
                    if (last) {
                        responseComplete = true;
                        exchange.end(content.content().retain());
                    } else {
                        exchange.append(content.content().retain());
                    }
                } else if (last) {
                    responseComplete = true;
                    exchange.end();
                }
                if (last) {
                    if (requestSent) {
                        maybeRelease();
                    } else {
                        // Answered before the whole request was sent: the rest of the body will
                        // not follow, so the connection is out of step and cannot be reused.
                        finish(false);
                    }
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * The upstream agreed to switch protocols: from now on the two connections are one byte
     * stream, relayed by a {@link Tunnel} on each; the upstream connection leaves the pool.
     */
    private void switchProtocols(HttpResponse response) {
        if (upgrade == null) {
            upstreamFailed(new IllegalStateException("101 Switching Protocols to a request that asked for no upgrade"));
            return;
        }
        Channel channel = upstream;
        if (shortTimeout != null) {
            shortTimeout.cancel(false);
        }
        over = true;
        upstream = null;
        UpstreamHandler handler = channel.pipeline().get(UpstreamHandler.class);
        handler.call = null;
        handler.tunneling = true;
        // Here at once: bytes the upstream sends right after its 101 wait in it for the client.
        channel.pipeline().addLast(new Tunnel());
        HttpHeaders headers = response.headers();
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        headers.set(X_DURATION, Log.secondsAscii(System.nanoTime() - startNanos, 6));
        exchange.upgrade(response, channel);
    }

    /** Passes the upstream's head on, reworked in place: it is not used again. */
    private void respond(HttpResponse response) {
        if (shortTimeout != null) {
            shortTimeout.cancel(false);
        }
        responseKeepAlive = HttpUtil.isKeepAlive(response);
        if (mode.fn.isPresent()) {
            response = fromFn(response);
            if (response == null) {
                return;
            }
        }
        HttpHeaders headers = response.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(response);
        boolean lengthKnown = HttpUtil.isContentLengthSet(response);
        ProxyHeaders.fromFunction(headers);
        if (chunked || (!lengthKnown && framedForBody(response))) {
            // Chunked upstream, or a body that ends with the connection: chunked to the client.
            // An answer to HEAD says how the GET's body would be framed (Netty's decoder drops
            // the upstream's chunked from it, as nothing follows): chunked, when no length.
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        headers.set(X_DURATION, Log.secondsAscii(System.nanoTime() - startNanos, 6));
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        exchange.respond(response);
    }

    /** The client's response made of an FDK's answer; null when the answer was invalid and the call failed. */
    private HttpResponse fromFn(HttpResponse fdk) {
        switch (FnProtocol.answer(fdk)) {
            case FnProtocol.Answer.Invalid invalid -> {
                finish(false);
                exchange.fail(HttpResponseStatus.BAD_GATEWAY, "Fn function gave an invalid answer: " + invalid.reason());
                return null;
            }
            case FnProtocol.Answer.Relay relay -> {
                HttpResponse client = new io.netty.handler.codec.http.DefaultHttpResponse(HttpVersion.HTTP_1_1,
                        relay.status(), relay.headers());
                int code = relay.status().code();
                if (code == 204 || code == 304) {
                    discardBody = true;
                    relay.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
                    relay.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
                }
                return client;
            }
        }
    }

    /** Whether the response's status gives it a body to frame (sent, or for HEAD only announced). */
    private static boolean framedForBody(HttpResponse response) {
        int code = response.status().code();
        return code != 204 && code != 304 && code >= 200;
    }

    /** The upstream read cycle ended: ask for more once the client can take it. */
    void upstreamReadComplete() {
        if (exchange.responseStarted() && !exchange.done()) {
            exchange.flush(); // a head that came alone goes out now, before its body
        }
        if (!over && !responseComplete && upstream != null) {
            Channel channel = upstream;
            exchange.whenWritable(channel::read);
        }
    }

    /** The connection failed or closed before the response was complete. */
    void upstreamFailed(Throwable cause) {
        if (over || responseComplete) {
            return;
        }
        String message = exchange.responseStarted()
                ? "upstream connection lost mid-response: " + describe(cause)
                : "upstream " + mode.upstream.display() + " failed before responding: " + describe(cause);
        finish(false);
        exchange.fail(HttpResponseStatus.BAD_GATEWAY, message);
    }

    private static String describe(Throwable cause) {
        if (cause == null) {
            return "connection closed";
        }
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }

    /** Response and request both done: the connection goes back to the pool if it can be reused. */
    private void maybeRelease() {
        if (responseComplete && requestSent && !over) {
            finish(responseKeepAlive);
        }
    }

    /** Ends this call's use of the upstream connection, returning it to the pool or closing it. */
    private void finish(boolean reusable) {
        if (over) {
            return;
        }
        over = true;
        if (shortTimeout != null) {
            shortTimeout.cancel(false);
        }
        if (buffered != null) {
            buffered.release();
            buffered = null;
        }
        Channel channel = upstream;
        upstream = null;
        if (channel == null) {
            return;
        }
        channel.pipeline().get(UpstreamHandler.class).call = null;
        if (!reusable) {
            channel.close();
        }
        pool.release(channel);
    }

    @Override
    public void onTimeout() {
        if (over || exchange.responseStarted()) {
            return; // the limit is on the time to the response head
        }
        boolean waiting = upstream == null && buffered == null;
        boolean reachedFn = upstream != null && mode.fn.isPresent();
        finish(false);
        if (reachedFn) {
            mode.supervisor.recycle("a call overran its deadline (" + (shortTimeout != null ? "X-Timeout"
                    : "exec_timeout " + Responses.duration(mode.config.execTimeout())) + ")");
        }
        if (waiting && !mode.supervisor.ready()) {
            exchange.fail(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "upstream not ready within exec_timeout (" + Responses.duration(mode.config.execTimeout()) + ")");
        } else {
            exchange.fail(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream did not respond within "
                    + (shortTimeout != null ? "X-Timeout" : "exec_timeout (" + Responses.duration(mode.config.execTimeout()) + ")"));
        }
    }

    @Override
    public void cancel() {
        finish(false);
    }

    /**
     * The last handler of every upstream connection: hands what arrives to the call using the
     * connection, and closes a connection that speaks while idle.
     */
    static final class UpstreamHandler extends ChannelInboundHandlerAdapter {
        ProxyCall call;
        /** Switched protocols: bytes pass on to the tunnel behind this handler. */
        boolean tunneling;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (tunneling) {
                ctx.fireChannelRead(msg);
                return;
            }
            if (call == null) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            call.onUpstream(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (tunneling) {
                ctx.fireChannelReadComplete();
            } else if (call != null) {
                call.upstreamReadComplete();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (call != null) {
                call.upstreamFailed(null);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (call != null) {
                call.upstreamFailed(cause);
            }
            ctx.close();
        }
    }
}
