package io.fwatchdog.mode;

import io.netty.handler.codec.http.HttpContent;

/**
 * One request inside a mode. Every method is called on the exchange's event loop.
 */
public interface Call {

    /**
     * A piece of the request body, delivered after {@link Exchange#requestBody()}. The call
     * owns {@code piece} and must release it; a {@link io.netty.handler.codec.http.LastHttpContent}
     * ends the body.
     */
    void onBody(HttpContent piece);

    /** {@code exec_timeout} has passed since admission. */
    void onTimeout();

    /**
     * The exchange is over from the outside (client gone, write_timeout, read_timeout,
     * forced shutdown): stop the work and free everything. No response may follow.
     */
    void cancel();
}
