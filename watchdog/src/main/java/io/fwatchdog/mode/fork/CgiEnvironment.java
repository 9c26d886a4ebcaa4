package io.fwatchdog.mode.fork;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Request metadata as environment variables for a forked function (docs/behaviour.md#request-metadata), compatible
 * with of-watchdog and the classic watchdog: each header becomes {@code Http_<Name>}, plus
 * {@code Http_Method}, {@code Http_Path}, {@code Http_Query}, {@code Http_Host},
 * {@code Http_Content_Length} and {@code Http_Transfer_Encoding}.
 */
final class CgiEnvironment {
    private static final String PREFIX = "Http_";

    private CgiEnvironment() {}

    /**
     * The variables for {@code request}; added over the watchdog's own environment.
     *
     * @throws IllegalArgumentException when the path cannot be decoded into a value an
     *     environment can hold (a broken {@code %} escape, or a NUL raw or as {@code %00}): a bad request
     */
    static Map<String, String> of(HttpRequest request) {
        // Values are collected first and joined once: joining as they come would copy the
        // growing value on every repeat, quadratic in a header repeated thousands of times.
        Map<String, StringJoiner> headers = new LinkedHashMap<>();
        for (Map.Entry<String, String> header : request.headers()) {
            String name = canonical(header.getKey());
            // Metadata derived from the request line cannot be spoofed by a header of that name.
            if (name.equals("Method") || name.equals("Path") || name.equals("Query")) {
                continue;
            }
            headers.computeIfAbsent(PREFIX + name.replace('-', '_'), key -> new StringJoiner(", "))
                    .add(header.getValue());
        }
        Map<String, String> env = new LinkedHashMap<>();
        headers.forEach((name, values) -> env.put(name, values.toString()));
        String uri = request.uri();
        int q = uri.indexOf('?');
        String rawPath = q < 0 ? uri : uri.substring(0, q);
        env.put(PREFIX + "Method", request.method().name());
        env.put(PREFIX + "Path", decodedPath(rawPath));
        if (q >= 0 && q + 1 < uri.length()) {
            env.put(PREFIX + "Query", uri.substring(q + 1));
        }
        String host = request.headers().get(HttpHeaderNames.HOST);
        if (host != null) {
            env.put(PREFIX + "Host", host);
        }
        if (HttpUtil.isTransferEncodingChunked(request)) {
            env.put(PREFIX + "Transfer_Encoding", "chunked");
            env.remove(PREFIX + "Content_Length");
        }
        // The environment is a list of C strings: a NUL would cut a value short, or fail the start.
        if (env.values().stream().anyMatch(value -> value.indexOf('\0') >= 0)) {
            throw new IllegalArgumentException("the request holds a NUL character (raw or as %00), which no environment variable can hold");
        }
        return env;
    }

    private static String decodedPath(String rawPath) {
        String path;
        try {
            path = QueryStringDecoder.decodeComponent(rawPath.replace("+", "%2B"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the path has an invalid percent-encoding", e);
        }
        return path;
    }

    /**
     * Canonical header form, as Go's {@code CanonicalMIMEHeaderKey}: the first letter and every
     * letter after a dash upper case, the rest lower case ({@code x-call-id} → {@code X-Call-Id}).
     */
    static String canonical(String name) {
        char[] chars = name.toCharArray();
        boolean upper = true;
        for (int i = 0; i < chars.length; i++) {
            char c = chars[i];
            chars[i] = upper ? Character.toUpperCase(c) : Character.toLowerCase(c);
            upper = c == '-';
        }
        return new String(chars);
    }
}
