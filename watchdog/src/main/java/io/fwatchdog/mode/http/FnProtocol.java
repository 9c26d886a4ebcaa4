package io.fwatchdog.mode.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.util.AsciiString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Map.Entry;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Fn's {@code http-stream} contract, in both directions (docs/behaviour.md#fn-functions). To an
 * Fn FDK function ({@code upstream_protocol=fn}): the socket directory and the {@code FN_*}
 * environment the FDK reads at start, the listener handshake, and the translation of each
 * request into an Fn HTTP-gateway call ({@code POST /call} with {@code Fn-Http-*} headers) and
 * of the FDK's answer back. From Fn's agent, when the watchdog is itself the Fn function: the
 * plain request an agent's call stands for ({@link #incoming}) and the call's answer made of the
 * plain response ({@link #toAgent}).
 *
 * <p>Written from Fn's documented contract and its FDKs' behaviour; no library speaks it.
 * Headers that frame or route a message are never taken from the other side's
 * {@code Fn-Http-H-*} set, in either direction: the watchdog decides them.
 */
public final class FnProtocol {
    static final String LISTENER = "lsnr.sock";
    /** Fn's own default memory for a function, for a container without a cgroup memory limit. */
    private static final long DEFAULT_MEMORY_MB = 128;
    /** The longest socket path that fits {@code sockaddr_un.sun_path} with its terminating NUL. */
    private static final int MAX_SOCKET_PATH = 107;
    /** An FDK requires {@code Fn-Deadline}; without {@code exec_timeout} it is this far ahead. */
    static final Duration NO_DEADLINE = Duration.ofHours(24);

    private static final String HEADER_PREFIX = "Fn-Http-H-";
    private static final AsciiString FN_INTENT = AsciiString.cached("Fn-Intent");
    private static final AsciiString FN_HTTP_METHOD = AsciiString.cached("Fn-Http-Method");
    private static final AsciiString FN_HTTP_REQUEST_URL = AsciiString.cached("Fn-Http-Request-Url");
    private static final AsciiString FN_HTTP_STATUS = AsciiString.cached("Fn-Http-Status");
    private static final AsciiString FN_CALL_ID = AsciiString.cached("Fn-Call-Id");
    private static final AsciiString FN_DEADLINE = AsciiString.cached("Fn-Deadline");
    private static final AsciiString X_CALL_ID = AsciiString.cached("X-Call-Id");
    /**
     * Never passed between a client's headers and the {@code Fn-Http-H-*} set, either way: the
     * framing, the connection and the routing of each hop are the watchdog's, as is the call id
     * the front sets on every response.
     */
    private static final Set<String> WATCHDOG_OWNED = Set.of(
            "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection", "te",
            "trailer", "upgrade", "host", "x-call-id", "x-duration-seconds", "x-openfaas-internal");
    /**
     * Also never taken from an agent's {@code Fn-Http-H-*} set: an {@code Expect} there would have
     * the front answer the hop with a 100 the agent never asked for. The hop's own is kept.
     */
    private static final String EXPECT = "expect";

    private FnProtocol() {}

    /** The private directory the FDK's socket appears in, and the listener path in it. */
    record SocketDir(Path dir, Path listener) {
        /**
         * Makes a directory only this user can enter, under {@code tmpdir}.
         *
         * @throws IllegalStateException when it cannot be made or its socket path would be too long
         */
        static SocketDir create(Path tmpdir) {
            Path dir;
            try {
                dir = Files.createTempDirectory(tmpdir, "fwatchdog-fn-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("cannot make the Fn socket directory under " + tmpdir + ": " + e.getMessage(), e);
            }
            Path listener = dir.resolve(LISTENER);
            int length = listener.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (length > MAX_SOCKET_PATH) {
                delete(dir);
                throw new IllegalStateException("the Fn socket path " + listener + " is " + length + " bytes, more than"
                        + " a unix socket allows (" + MAX_SOCKET_PATH + "); set TMPDIR to a shorter directory");
            }
            return new SocketDir(dir, listener);
        }

        /** Removes what a previous FDK process left (its socket and the listener link) before the next starts. */
        void clear() {
            try (Stream<Path> entries = Files.list(dir)) {
                entries.forEach(SocketDir::deleteQuietly);
            } catch (IOException e) {
                // The FDK's bind then fails and says so in its own log.
            }
        }

        /** Clears the directory and removes it: at shutdown, once the FDK has exited. */
        void remove() {
            delete(dir);
        }

        private static void delete(Path dir) {
            try (Stream<Path> entries = Files.list(dir)) {
                entries.forEach(SocketDir::deleteQuietly);
            } catch (IOException e) {
                // gone already
            }
            deleteQuietly(dir);
        }

        private static void deleteQuietly(Path path) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // a leftover in a private temporary directory harms nothing
            }
        }

        /**
         * True once the FDK has finished its handshake: the listener path exists and is a socket,
         * or a link to a socket in this same directory (a link that leads elsewhere is refused, as
         * Fn's agent refuses it). Nothing connects: an FDK that serves one connection at a time
         * would take a probe for a call.
         */
        boolean listening() {
            try {
                if (Files.isSymbolicLink(listener)) {
                    Path target = Files.readSymbolicLink(listener);
                    if (target.getNameCount() != 1 || target.isAbsolute() || target.toString().equals("..")) {
                        return false;
                    }
                }
                return Files.readAttributes(listener, BasicFileAttributes.class).isOther();
            } catch (IOException e) {
                return false;
            }
        }

        /** Where the FDK's listener link points, for messages: empty until it exists. */
        String describe() {
            try {
                return Files.isSymbolicLink(listener)
                        ? listener + " -> " + Files.readSymbolicLink(listener) : listener.toString();
            } catch (IOException e) {
                return listener.toString();
            }
        }
    }

    /**
     * The FDK's environment: the watchdog's own, then the {@code FN_*} variables Fn gives a
     * function. Ids, names and memory the operator set in the environment are kept as given.
     */
    static Map<String, String> environment(Map<String, String> base, SocketDir socket) {
        Map<String, String> env = new HashMap<>(base);
        env.put("FN_LISTENER", "unix:" + socket.listener());
        env.put("FN_FORMAT", "http-stream");
        env.put("FN_TYPE", "sync");
        env.putIfAbsent("FN_APP_NAME", "fwatchdog");
        env.putIfAbsent("FN_FN_NAME", "function");
        env.putIfAbsent("FN_APP_ID", env.get("FN_APP_NAME"));
        env.putIfAbsent("FN_FN_ID", env.get("FN_FN_NAME"));
        env.putIfAbsent("FN_NAME", env.get("FN_FN_NAME"));
        env.putIfAbsent("FN_MEMORY", Long.toString(memoryMegabytes(Path.of("/sys/fs/cgroup/memory.max"))));
        return env;
    }

    /** The container's memory limit in MB (cgroup v2), else Fn's default of 128. */
    static long memoryMegabytes(Path memoryMax) {
        try {
            String limit = Files.readString(memoryMax).trim();
            return limit.equals("max") ? DEFAULT_MEMORY_MB : Math.max(1, Long.parseLong(limit) >> 20);
        } catch (IOException | RuntimeException e) {
            return DEFAULT_MEMORY_MB;
        }
    }

    /**
     * The Fn call made of a client's request: {@code POST /call} with the request's method and
     * URL in {@code Fn-Http-Method} and {@code Fn-Http-Request-Url}, each of its headers as
     * {@code Fn-Http-H-<Name>} except {@code Content-Type}, which goes unprefixed, and the call's
     * id and deadline.
     *
     * @param headers the request's headers as a plain upstream would get them: hop-by-hop
     *     headers gone, {@code X-Forwarded-*} added, and the framing the front decoded set
     */
    static HttpRequest call(HttpMethod method, String uri, HttpHeaders headers, String callId, Instant deadline) {
        HttpHeaders fn = new DefaultHttpHeaders();
        for (Entry<String, String> header : headers) {
            String name = header.getKey();
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.equals("content-type")) {
                fn.add(HttpHeaderNames.CONTENT_TYPE, header.getValue());
            } else if (!WATCHDOG_OWNED.contains(lower)) {
                fn.add(HEADER_PREFIX + canonical(name), header.getValue());
            }
        }
        copy(headers, fn, HttpHeaderNames.CONTENT_LENGTH);
        copy(headers, fn, HttpHeaderNames.TRANSFER_ENCODING);
        fn.set(HttpHeaderNames.HOST, "localhost");
        fn.set(FN_INTENT, "httprequest");
        fn.set(FN_HTTP_METHOD, method.name());
        fn.set(FN_HTTP_REQUEST_URL, requestUrl(uri, headers.get(HttpHeaderNames.HOST)));
        fn.set(FN_CALL_ID, callId);
        fn.set(FN_DEADLINE, deadline.truncatedTo(ChronoUnit.SECONDS).toString());
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/call", fn);
    }

    private static void copy(HttpHeaders from, HttpHeaders to, AsciiString name) {
        String value = from.get(name);
        if (value != null) {
            to.set(name, value);
        }
    }

    /** The URL the client asked for, absolute as Fn's gateway gives it. */
    static String requestUrl(String uri, String host) {
        if (uri.startsWith("http://") || uri.startsWith("https://")) {
            return uri;
        }
        return "http://" + (host == null || host.isBlank() ? "localhost" : host) + (uri.startsWith("/") ? uri : "/" + uri);
    }

    /** {@code x-request-id} as Go's gateway writes it, {@code X-Request-Id}; FDKs look names up that way. */
    static String canonical(String name) {
        StringBuilder out = new StringBuilder(name.length());
        boolean upper = true;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            out.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
            upper = c == '-';
        }
        return out.toString();
    }

    /** The client's answer made of an FDK's, or why the FDK's cannot be one. */
    sealed interface Answer {
        record Relay(HttpResponseStatus status, HttpHeaders headers) implements Answer {}

        record Invalid(String reason) implements Answer {}
    }

    /**
     * What the client gets for the FDK's response head: for 200, the status in
     * {@code Fn-Http-Status} (200 without one) and the headers in {@code Fn-Http-H-*} and
     * {@code Content-Type}; 502 (the function failed) and 504 (it saw its deadline pass) as they
     * are, with the FDK's error body. Any other status is not an Fn answer. The framing headers
     * returned are the FDK response's own, as its codec decoded them.
     */
    static Answer answer(HttpResponse fdk) {
        int code = fdk.status().code();
        HttpResponseStatus status;
        if (code == 200) {
            String given = fdk.headers().get(FN_HTTP_STATUS);
            if (given == null) {
                status = HttpResponseStatus.OK;
            } else {
                int parsed;
                try {
                    parsed = Integer.parseInt(given.trim());
                } catch (NumberFormatException e) {
                    parsed = -1;
                }
                if (parsed < 200 || parsed > 599) {
                    return new Answer.Invalid("Fn-Http-Status \"" + given + "\" (expected: a status from 200 to 599)");
                }
                status = HttpResponseStatus.valueOf(parsed);
            }
        } else if (code == 502 || code == 504) {
            status = HttpResponseStatus.valueOf(code);
        } else {
            return new Answer.Invalid("status " + code + " (expected: 200, 502 or 504)");
        }
        HttpHeaders headers = new DefaultHttpHeaders();
        copy(fdk.headers(), headers, HttpHeaderNames.CONTENT_TYPE);
        for (Entry<String, String> header : fdk.headers()) {
            String name = header.getKey();
            if (name.length() > HEADER_PREFIX.length() && name.regionMatches(true, 0, HEADER_PREFIX, 0, HEADER_PREFIX.length())) {
                String plain = name.substring(HEADER_PREFIX.length());
                String lower = plain.toLowerCase(Locale.ROOT);
                if (lower.equals("content-type")) {
                    headers.set(HttpHeaderNames.CONTENT_TYPE, header.getValue());
                } else if (!WATCHDOG_OWNED.contains(lower)) {
                    headers.add(plain, header.getValue());
                }
            }
        }
        copy(fdk.headers(), headers, HttpHeaderNames.CONTENT_LENGTH);
        copy(fdk.headers(), headers, HttpHeaderNames.TRANSFER_ENCODING);
        return new Answer.Relay(status, headers);
    }

    /** The plain request an agent's call stands for, or why it is not a call. */
    public sealed interface Incoming {
        /** @param deadline the call's {@code Fn-Deadline}; empty when the agent sent none */
        record Request(HttpMethod method, String uri, HttpHeaders headers, Optional<Instant> deadline) implements Incoming {}

        record Invalid(String reason) implements Incoming {}
    }

    /**
     * The plain request made of an agent's {@code POST /call}: the method of {@code Fn-Http-Method}
     * and the path and query of {@code Fn-Http-Request-Url} (whose authority becomes {@code Host}),
     * the headers of {@code Fn-Http-H-*} with {@code Content-Type} unprefixed, {@code Fn-Call-Id}
     * as {@code X-Call-Id}. A call that did not come through Fn's HTTP gateway (no
     * {@code Fn-Http-Method}) is a {@code POST /} with its body and {@code Content-Type}. The
     * framing, {@code Connection} and {@code Expect} are the hop's own, as the front's codec
     * decoded them ({@code Connection} only when it is {@code close}: an upgrade is not for the
     * agent to ask); no other header of the hop, {@code Fn-*} included, reaches the function.
     */
    public static Incoming incoming(HttpRequest hop) {
        if (!hop.method().equals(HttpMethod.POST) || !hop.uri().equals("/call")) {
            return new Incoming.Invalid(hop.method() + " " + hop.uri() + " is not an Fn call (expected: POST /call)");
        }
        HttpHeaders from = hop.headers();
        HttpMethod method = HttpMethod.POST;
        String givenMethod = from.get(FN_HTTP_METHOD);
        if (givenMethod != null) {
            if (!isToken(givenMethod) || givenMethod.equals("CONNECT")) {
                return new Incoming.Invalid("Fn-Http-Method \"" + givenMethod + "\" (expected: an HTTP method other than CONNECT)");
            }
            method = HttpMethod.valueOf(givenMethod);
        }
        String uri = "/";
        String host = "localhost";
        String url = from.get(FN_HTTP_REQUEST_URL);
        if (url != null) {
            int authority = url.startsWith("http://") ? 7 : url.startsWith("https://") ? 8 : -1;
            if (authority > 0) {
                int path = url.indexOf('/', authority);
                int query = url.indexOf('?', authority);
                int end = path < 0 ? query : query < 0 ? path : Math.min(path, query);
                host = end < 0 ? url.substring(authority) : url.substring(authority, end);
                uri = end < 0 ? "/" : url.charAt(end) == '?' ? "/" + url.substring(end) : url.substring(end);
            } else {
                uri = url;
            }
            if (!uri.startsWith("/") || !isVisible(uri) || host.isEmpty() || !isAuthority(host)) {
                return new Incoming.Invalid("Fn-Http-Request-Url \"" + url + "\" (expected: an absolute http URL or a path)");
            }
        }
        Optional<Instant> deadline = Optional.empty();
        String givenDeadline = from.get(FN_DEADLINE);
        if (givenDeadline != null) {
            try {
                deadline = Optional.of(OffsetDateTime.parse(givenDeadline.trim()).toInstant());
            } catch (DateTimeParseException e) {
                return new Incoming.Invalid("Fn-Deadline \"" + givenDeadline + "\" (expected: an RFC 3339 time)");
            }
        }
        HttpHeaders headers = new DefaultHttpHeaders();
        for (Entry<String, String> header : from) {
            String name = header.getKey();
            if (name.length() > HEADER_PREFIX.length() && name.regionMatches(true, 0, HEADER_PREFIX, 0, HEADER_PREFIX.length())) {
                String plain = name.substring(HEADER_PREFIX.length());
                String lower = plain.toLowerCase(Locale.ROOT);
                if (!lower.equals("content-type") && !lower.equals(EXPECT) && !WATCHDOG_OWNED.contains(lower)) {
                    headers.add(plain, header.getValue());
                }
            }
        }
        headers.set(HttpHeaderNames.HOST, host);
        copy(from, headers, HttpHeaderNames.CONTENT_TYPE);
        copy(from, headers, HttpHeaderNames.CONTENT_LENGTH);
        copy(from, headers, HttpHeaderNames.TRANSFER_ENCODING);
        if (from.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE); // the hop's, and only "close"
        }
        copy(from, headers, HttpHeaderNames.EXPECT);
        String callId = from.get(FN_CALL_ID);
        if (callId != null && !callId.isBlank()) {
            headers.set(X_CALL_ID, callId);
        }
        return new Incoming.Request(method, uri, headers, deadline);
    }

    private static boolean isToken(String text) {
        if (text.isEmpty()) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c >= 0x7f || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0) {
                return false;
            }
        }
        return true;
    }

    /** No space, control or non-ASCII character: the target goes on a request line as it is. */
    private static boolean isVisible(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAuthority(String host) {
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!(Character.isLetterOrDigit(c) && c < 0x7f) && ".-_:[]".indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Turns the plain response to a call into the call's answer to the agent, in place. The
     * function's answer, whatever its status, is a 200 with the status in {@code Fn-Http-Status}
     * and its headers as {@code Fn-Http-H-*} ({@code Content-Type} unprefixed); the watchdog's own
     * failure of the function ({@code watchdogFailure}: it crashed, 500 and 502, or overran its
     * time, 504) is a 502 or a 504, which the agent takes for a failed or a timed-out call and
     * keeps the container for. Any other answer of the watchdog's (429, 503, 413, …) is relayed
     * as the function's would be. The body is framed for a {@code POST}, whatever method the
     * call carried: empty, with {@code Content-Length: 0}, for {@code HEAD}, 204 and 304.
     */
    public static void toAgent(HttpResponse response, boolean watchdogFailure, boolean head) {
        int code = response.status().code();
        HttpHeaders from = response.headers();
        HttpHeaders to = new DefaultHttpHeaders();
        copy(from, to, HttpHeaderNames.CONTENT_TYPE);
        copy(from, to, HttpHeaderNames.CONNECTION);
        if (watchdogFailure && (code == 500 || code == 502 || code == 504)) {
            response.setStatus(code == 504 ? HttpResponseStatus.GATEWAY_TIMEOUT : HttpResponseStatus.BAD_GATEWAY);
        } else {
            response.setStatus(HttpResponseStatus.OK);
            to.set(FN_HTTP_STATUS, Integer.toString(code));
            for (Entry<String, String> header : from) {
                String lower = header.getKey().toLowerCase(Locale.ROOT);
                if (!lower.equals("content-type") && !WATCHDOG_OWNED.contains(lower)) {
                    to.add(HEADER_PREFIX + header.getKey(), header.getValue());
                }
            }
        }
        boolean empty = head || code == 204 || code == 304;
        if (response instanceof FullHttpResponse full) {
            if (empty) {
                full.content().clear();
            }
            to.setInt(HttpHeaderNames.CONTENT_LENGTH, full.content().readableBytes());
        } else if (empty) {
            to.setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        } else if (from.contains(HttpHeaderNames.CONTENT_LENGTH) && !HttpUtil.isTransferEncodingChunked(response)) {
            copy(from, to, HttpHeaderNames.CONTENT_LENGTH);
        } else {
            // No length (or a body until close): chunks keep the connection usable for the next call.
            to.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        from.set(to);
    }
}
