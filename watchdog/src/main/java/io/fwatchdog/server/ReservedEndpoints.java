package io.fwatchdog.server;

import io.fwatchdog.mode.Responses;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The watchdog's own endpoints, a stage of each connection's pipeline before the front:
 * {@code GET|HEAD /_/health} (200 while healthy, else 503 saying why) and {@code /_/ready}
 * (health, plus 429 while {@code max_inflight} is reached, plus the {@code ready_path} probe's
 * answer), 405 for other methods there. Everything else passes on to {@link FrontHandler}, which
 * also sends these answers: it owns the connection, so keep-alive, the rest of the request and
 * closing are decided in one place. It gets them as the user events {@link Answer} and, while a
 * probe runs, {@link Pending}.
 */
final class ReservedEndpoints extends ChannelInboundHandlerAdapter {
    static final String HEALTH = "/_/health";
    static final String READY = "/_/ready";

    /** The answer to {@code request}, for the connection to send; it owns {@code response}. */
    record Answer(HttpRequest request, FullHttpResponse response) {}

    /** The answer to {@code request} comes later (the {@code ready_path} probe); nothing is read meanwhile. */
    record Pending(HttpRequest request) {}

    private final Front front;

    ReservedEndpoints(Front front) {
        this.front = front;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // A request the decoder refused arrives as a full message: the front answers it.
        if (msg instanceof HttpRequest request && !(msg instanceof HttpContent) && request.decoderResult().isSuccess()) {
            String path = pathOf(request.uri());
            if (path.equals(HEALTH) || path.equals(READY)) {
                answer(ctx, request, path.equals(READY));
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private void answer(ChannelHandlerContext ctx, HttpRequest request, boolean readiness) {
        HttpMethod method = request.method();
        FullHttpResponse response;
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            response = Responses.plain(ctx.alloc(), HttpResponseStatus.METHOD_NOT_ALLOWED,
                    method + " is not allowed on " + (readiness ? READY : HEALTH) + "; use GET or HEAD");
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
        } else if (!front.healthy()) {
            response = unhealthy(ctx);
        } else if (readiness && front.config.maxInflight() > 0 && front.admission.saturated()) {
            response = Responses.plain(ctx.alloc(), HttpResponseStatus.TOO_MANY_REQUESTS,
                    "busy: max_inflight (" + front.concurrency + ") requests in flight");
        } else if (readiness && front.readyProbe.isPresent()) {
            askFunction(ctx, request, front.readyProbe.get());
            return;
        } else {
            response = Responses.plain(ctx.alloc(), HttpResponseStatus.OK, "OK");
            response.headers().remove(Responses.INTERNAL_HEADER);
        }
        ctx.fireUserEventTriggered(new Answer(request, response));
    }

    /**
     * Answers {@code /_/ready} with the {@code ready_path} probe's result. The wait is bounded by
     * {@code exec_timeout}, not {@code read_timeout}: the request itself has arrived.
     */
    private void askFunction(ChannelHandlerContext ctx, HttpRequest request, ReadyProbe probe) {
        ctx.fireUserEventTriggered(new Pending(request));
        probe.probe(request, ctx.channel()).thenAccept(result -> ctx.executor().execute(() -> {
            if (!ctx.channel().isActive()) {
                return;
            }
            // Health may have failed meanwhile (shutdown, an upstream that exited): it comes first.
            FullHttpResponse response = front.healthy() ? result.response(ctx.alloc()) : unhealthy(ctx);
            ctx.fireUserEventTriggered(new Answer(request, response));
        }));
    }

    /** The probes' 503 while the watchdog is not healthy, saying why. */
    private FullHttpResponse unhealthy(ChannelHandlerContext ctx) {
        return Responses.plain(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE,
                front.health.draining() ? "shutting down" : "function not ready");
    }

    private static String pathOf(String uri) {
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }
}
