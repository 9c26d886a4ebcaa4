package io.fwatchdog.server;

import io.fwatchdog.mode.Responses;
import io.fwatchdog.log.Log;
import io.fwatchdog.metrics.Metrics;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP front of one connection: sends what {@link ReservedEndpoints} answers, admits requests
 * for the function and hands them to the mode, enforces the timeouts, and writes the access log.
 *
 * <p>Reads are pulled: auto-read is off and {@link PulledReads} upstream delivers one message
 * per {@code read()}. Between requests the handler reads the next request; during a
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

    private final Front front;
    private ChannelHandlerContext ctx;
    private FunctionExchange current;
    /** Skipping the (empty) remainder of a request answered without reading its body. */
    private boolean discarding;
    private boolean closeWhenIdle;
    /** A {@code /_/ready} waits for the {@code ready_path} probe; the connection reads nothing meanwhile. */
    private boolean probing;
    /** Answered and half-closed: input is read and dropped until the client closes (see {@link #closeAfter}). */
    private boolean lingering;
    /** Bytes dropped while lingering. */
    private long lingered;
    private Deadline readTimer;
    /** The current exchange's {@code exec_timeout} and {@code write_timeout}, kept here to outlive it. */
    private Deadline execTimer;
    private Deadline writeTimer;

    FrontHandler(Front front) {
        this.front = front;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        readTimer = new Deadline(ctx.executor(), this::readTimedOut);
        execTimer = new Deadline(ctx.executor(), () -> {
            if (current != null) {
                current.execTimedOut();
            }
        });
        writeTimer = new Deadline(ctx.executor(), () -> {
            if (current != null) {
                current.writeTimedOut();
            }
        });
    }

    Deadline execTimer() {
        return execTimer;
    }

    Deadline writeTimer() {
        return writeTimer;
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
        if (front.closing()) {
            front.metrics.rejected(Metrics.Rejection.SHUTTING_DOWN);
            front.metrics.requestEnded(request.method().name(), HttpResponseStatus.SERVICE_UNAVAILABLE.code(), 0, 0, 0);
            answerSimple(request, Responses.plain(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "the watchdog is shutting down and takes no new requests"), true);
            return;
        }
        FunctionExchange exchange = new FunctionExchange(this, ctx, front, request);
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
        if (current != null && !current.done()) {
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
        if (current != null && !current.done()) {
            current.abort(status, message);
            ctx.close();
            return;
        }
        FullHttpResponse response = Responses.plain(ctx.alloc(), status, message);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        cancelReadTimer();
        closeAfter(ctx.writeAndFlush(response), true);
    }

    /** Sends the answer of {@link ReservedEndpoints}, as the answer of a request that has just arrived. */
    private void sendReserved(HttpRequest request, FullHttpResponse response) {
        if (lingering) {
            response.release(); // read after a refusal, while the rest of the input is dropped
            read();
            return;
        }
        cancelReadTimer();
        probing = false;
        if (hasBody(request)) {
            armReadTimer();
        }
        answerSimple(request, response, false);
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
     * client closes, {@link #LINGER} passes or {@link #LINGER_BYTES} have come. Closing with
     * unread input would reset the connection, and a reset can destroy the answer in the
     * client's receive buffer before the client has read it.
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

    /**
     * The exchange is over and {@code written} carries its last bytes: closes the connection,
     * skips what is left of the request, or reads the next one.
     */
    void ended(ChannelFuture written, boolean close, boolean bodyComplete, boolean hasBody) {
        current = null;
        boolean unreadBody = !bodyComplete && hasBody;
        if (close || unreadBody) {
            cancelReadTimer();
            closeAfter(written, unreadBody);
        } else if (!bodyComplete) {
            discarding = true;
            read();
        } else {
            awaitNextRequest();
        }
    }

    boolean closingWhenIdle() {
        return closeWhenIdle;
    }

    private void awaitNextRequest() {
        if (closeWhenIdle) {
            ctx.close();
            return;
        }
        armReadTimer();
        read();
    }

    /** The one place reads are asked for; {@link PulledReads} before this handler keeps each alive. */
    void read() {
        ctx.read();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ReservedEndpoints.Pending) {
            cancelReadTimer();
            probing = true;
            return;
        }
        if (evt instanceof ReservedEndpoints.Answer answer) {
            sendReserved(answer.request(), answer.response());
            return;
        }
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
        readTimer.close();
        if (current != null && !current.done()) {
            current.abort(null, "client closed the connection");
        }
        execTimer.close();
        writeTimer.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof java.io.IOException)) {
            Log.error("connection " + ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    private void armReadTimer() {
        if (readTimer.armed()) {
            return;
        }
        long nanos = front.config.readTimeout().toNanos();
        if (nanos > 0) {
            readTimer.set(nanos);
        }
    }

    void cancelReadTimer() {
        readTimer.clear();
    }

    private void readTimedOut() {
        if (current != null && !current.done() && !current.bodyComplete()) {
            current.abort(HttpResponseStatus.REQUEST_TIMEOUT, "request not received within read_timeout ("
                    + Responses.duration(front.config.readTimeout()) + ")");
            ctx.close();
        } else if (current == null) {
            ctx.close();
        }
    }

    static boolean hasBody(HttpRequest request) {
        return HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
    }

}
