package io.fwatchdog.template;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The handler's answer. {@code Content-Length}, {@code Transfer-Encoding} and
 * {@code Connection} headers are ignored: the server frames the body.
 *
 * @param statusCode from 200 to 599; anything else is answered 500
 * @param headers    name to value, sent as given
 * @param body       the bytes sent; empty for none
 */
public record Response(int statusCode, Map<String, String> headers, byte[] body) {
    public Response {
        headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
        body = body == null ? new byte[0] : body;
    }

    /** Bytes with the given Content-Type. */
    public static Response of(int statusCode, String contentType, byte[] body) {
        return new Response(statusCode, Map.of("Content-Type", contentType), body);
    }

    /** Text, sent as UTF-8 with {@code text/plain; charset=utf-8}. */
    public static Response text(int statusCode, String text) {
        return of(statusCode, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    /** A JSON document already written as text, sent with {@code application/json}. */
    public static Response json(int statusCode, String json) {
        return of(statusCode, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    /** This response with one more header (or {@code name} replaced). */
    public Response withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new Response(statusCode, more, body);
    }
}
