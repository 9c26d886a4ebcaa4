package io.fwatchdog.mode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.util.Optional;

/**
 * A request body collected whole, up to {@code max_body_size}, for the modes that need all of
 * it before they start (serializing, and http with {@code buffer_http}). It answers 413 itself
 * the moment the body is known to be too large. Confined to the exchange's event loop.
 */
public final class BodyBuffer {
    private final Exchange exchange;
    private final long limit;
    private CompositeByteBuf body;

    private BodyBuffer(Exchange exchange, long limit) {
        this.exchange = exchange;
        this.limit = limit;
        this.body = exchange.alloc().compositeBuffer(Integer.MAX_VALUE);
    }

    /** A buffer for {@code exchange}'s body; empty, with 413 answered, when its declared length is over {@code limit}. */
    public static Optional<BodyBuffer> open(Exchange exchange, long limit) {
        if (HttpUtil.getContentLength(exchange.request(), -1L) > limit) {
            tooLarge(exchange, limit);
            return Optional.empty();
        }
        return Optional.of(new BodyBuffer(exchange, limit));
    }

    /**
     * Adds a piece, taking ownership of it. False once the body passes the limit: everything is
     * released and 413 answered.
     */
    public boolean add(HttpContent piece) {
        ByteBuf content = piece.content();
        boolean fits = (long) body.readableBytes() + content.readableBytes() <= limit;
        if (fits) {
            body.addComponent(true, content.retain());
        }
        piece.release();
        if (!fits) {
            release();
            tooLarge(exchange, limit);
        }
        return fits;
    }

    /** The body collected; the caller owns it from now on. */
    public ByteBuf take() {
        ByteBuf taken = body;
        body = null;
        return taken;
    }

    /** Gives back what was collected, if it was not taken. */
    public void release() {
        if (body != null) {
            body.release();
            body = null;
        }
    }

    private static void tooLarge(Exchange exchange, long limit) {
        exchange.fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body exceeds max_body_size (" + limit + " bytes)");
    }
}
