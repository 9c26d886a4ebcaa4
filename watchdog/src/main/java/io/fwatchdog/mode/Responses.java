package io.fwatchdog.mode;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** Responses the watchdog makes itself: short plain text that says what happened and why. */
public final class Responses {
    public static final AsciiString INTERNAL_HEADER = AsciiString.cached("X-OpenFaaS-Internal");
    static final AsciiString INTERNAL_VALUE = AsciiString.cached("fwatchdog");
    public static final AsciiString CALL_ID = AsciiString.cached("X-Call-Id");

    private Responses() {}

    public static FullHttpResponse plain(ByteBufAllocator alloc, HttpResponseStatus status, String message) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                ByteBufUtil.writeUtf8(alloc, message.endsWith("\n") ? message : message + "\n"));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                .set(INTERNAL_HEADER, INTERNAL_VALUE);
        return response;
    }

    /**
     * A fresh call id, a version 4 UUID. A call id traces a request, it guards nothing, so it
     * comes from a fast per-thread generator rather than {@code UUID.randomUUID()}'s locked
     * SecureRandom (whose seeding would also cost the watchdog's start-up).
     */
    public static String newCallId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = random.nextLong() & ~0xF000L | 0x4000L;
        long low = random.nextLong() & ~(0xC000L << 48) | (0x8000L << 48);
        return new UUID(high, low).toString();
    }

    /** A duration as the settings are written, for messages: {@code 30s}, {@code 500ms}. */
    public static String duration(java.time.Duration d) {
        if (d.toMillis() % 1000 != 0) {
            return d.toMillis() + "ms";
        }
        return d.toSeconds() + "s";
    }
}
