package io.fwatchdog.server;

import io.fwatchdog.log.Log;
import io.fwatchdog.mode.Responses;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One connection to the metrics listener: {@code GET} and {@code HEAD /metrics} are scraped,
 * anything else gets a short plain-text 404 or 405. Requests are read one at a time (auto-read
 * is off), each answered before the next is read, and a connection that does not deliver a whole
 * request within {@code read_timeout} of its start or of its previous answer is closed, so idle
 * and slow scrapers cost a socket and nothing else.
 */
final class MetricsHandler extends ChannelInboundHandlerAdapter {
    static final String PATH = "/metrics";

    private final MetricsServer server;
    private ChannelHandlerContext ctx;
    /** The head of the request being received; answered when its last content arrives. */
    private HttpRequest request;
    private ScheduledFuture<?> readTimer;

    MetricsHandler(MetricsServer server) {
        this.server = server;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        awaitRequest();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpObject part && part.decoderResult().isFailure()) {
                cancelReadTimer();
                answer(null, Responses.plain(ctx.alloc(), HttpResponseStatus.BAD_REQUEST,
                        "malformed request: " + part.decoderResult().cause().getMessage()));
                return;
            }
            if (msg instanceof HttpRequest head) {
                request = head;
            }
            if (msg instanceof LastHttpContent && request != null) {
                HttpRequest complete = request;
                request = null;
                cancelReadTimer();
                serve(complete);
                return;
            }
        } finally {
            // Bodies are dropped here; a head holds no buffer, so the scrape thread may still read it.
            ReferenceCountUtil.release(msg);
        }
        read(); // a request body, which metrics have no use for, is read and dropped
    }

    private void read() {
        ctx.read();
    }

    private void serve(HttpRequest request) {
        if (!new QueryStringDecoder(request.uri()).path().equals(PATH)) {
            answer(request, Responses.plain(ctx.alloc(), HttpResponseStatus.NOT_FOUND,
                    "not found: metrics are served at " + PATH));
            return;
        }
        if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
            FullHttpResponse response = Responses.plain(ctx.alloc(), HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "method not allowed: " + PATH + " answers GET and HEAD");
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            answer(request, response);
            return;
        }
        server.scrape(request, response -> {
            try {
                ctx.executor().execute(() -> answer(request, response));
            } catch (RejectedExecutionException stopping) {
                response.release(); // the watchdog is stopping: no event loop to send it on
            }
        });
    }

    /**
     * Sends {@code response}; then reads the next request, or closes when the client asked to or
     * {@code request} is null (it could not be parsed).
     */
    private void answer(HttpRequest request, FullHttpResponse response) {
        boolean keepAlive = request != null && HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        var written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
            return;
        }
        written.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        written.addListener(future -> {
            if (future.isSuccess()) {
                awaitRequest();
            }
        });
    }

    private void awaitRequest() {
        long nanos = server.readTimeout().toNanos();
        if (nanos > 0) {
            readTimer = ctx.executor().schedule(this::readTimedOut, nanos, TimeUnit.NANOSECONDS);
        }
        read();
    }

    private void readTimedOut() {
        readTimer = null;
        ctx.close();
    }

    private void cancelReadTimer() {
        if (readTimer != null) {
            readTimer.cancel(false);
            readTimer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelReadTimer();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Handled here: an exception that reached the pipeline's tail would be logged through JUL.
        if (!(cause instanceof IOException)) {
            Log.error("metrics connection " + ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }
}
