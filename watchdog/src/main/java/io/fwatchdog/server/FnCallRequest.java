package io.fwatchdog.server;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Instant;
import java.util.Optional;

/**
 * The plain request an Fn agent's call stands for, as {@link FnCallCodec} hands it on: what the
 * exchange needs of the call beyond the request, and what the codec needs to know of its answer.
 * Confined to the connection's event loop.
 */
final class FnCallRequest extends DefaultHttpRequest {
    /** The call's {@code Fn-Deadline}, which bounds the function's time as exec_timeout does. */
    final Optional<Instant> deadline;
    /** The answer is the watchdog's failure of the function, not the function's own response. */
    boolean watchdogFailure;

    FnCallRequest(HttpMethod method, String uri, HttpHeaders headers, Optional<Instant> deadline) {
        super(HttpVersion.HTTP_1_1, method, uri, headers);
        this.deadline = deadline;
    }
}
