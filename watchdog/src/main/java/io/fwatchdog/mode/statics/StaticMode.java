package io.fwatchdog.mode.statics;

import io.fwatchdog.config.Config;
import io.fwatchdog.mode.Call;
import io.fwatchdog.mode.Exchange;
import io.fwatchdog.mode.Mode;
import io.fwatchdog.mode.Responses;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Date;
import java.util.Optional;

/**
 * static mode (docs/behaviour.md#static-mode): serves the files under {@code static_path} with GET and HEAD.
 *
 * <p>Nothing outside the root is ever served. The request path is percent-decoded exactly
 * once, strictly (a malformed escape or invalid UTF-8 is a 404); a decoded NUL or backslash,
 * and any {@code .} or {@code ..} segment, is a 404 rather than something to normalise; what
 * remains is resolved with every symlink followed, and served only if the real path is under
 * the real root. Symlinks that stay inside the root are followed.
 *
 * <p>Lookups are metadata calls on the event loop, as with any local file server; the body
 * goes out as a file region, which the epoll and NIO transports send with
 * {@code sendfile(2)}: the front has no TLS or compression handler that would need the bytes
 * in user space.
 */
public final class StaticMode implements Mode {
    private static final String ALLOWED = "GET, HEAD";
    /** Clients revalidate every time (a cheap 304): a redeployed file is never served stale. */
    private static final String CACHE_CONTROL = "no-cache";
    private static final java.util.HexFormat HEX = java.util.HexFormat.of().withUpperCase();

    private final Path root;

    /**
     * @throws UncheckedIOException when {@code static_path} cannot be resolved (it was checked
     *     to be a directory when the configuration was parsed)
     */
    public StaticMode(Config config) {
        try {
            this.root = config.staticPath().toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("static_path: \"" + config.staticPath() + "\" cannot be served: " + e, e);
        }
    }

    @Override
    public Call open(Exchange exchange) {
        serve(exchange);
        return Finished.CALL;
    }

    private void serve(Exchange exchange) {
        HttpRequest request = exchange.request();
        HttpMethod method = request.method();
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            FullHttpResponse response = Responses.plain(exchange.alloc(), HttpResponseStatus.METHOD_NOT_ALLOWED,
                    method + " is not allowed in static mode; use GET or HEAD");
            response.headers().set(HttpHeaderNames.ALLOW, ALLOWED);
            exchange.send(response);
            return;
        }
        String uri = request.uri();
        int queryAt = uri.indexOf('?');
        String rawPath = queryAt < 0 ? uri : uri.substring(0, queryAt);
        Optional<Path> found = resolve(rawPath);
        if (found.isEmpty()) {
            notFound(exchange);
            return;
        }
        Path file = found.get();
        try {
            if (Files.isDirectory(file)) {
                if (!rawPath.endsWith("/")) {
                    redirectToDirectory(exchange, rawPath, queryAt < 0 ? "" : uri.substring(queryAt));
                    return;
                }
                file = file.resolve("index.html").toRealPath();
                if (!file.startsWith(root)) {
                    notFound(exchange);
                    return;
                }
            }
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                notFound(exchange);
                return;
            }
            sendFile(exchange, file, attributes);
        } catch (IOException e) {
            notFound(exchange); // vanished meanwhile, unreadable, or index.html missing
        }
    }

    /** The real path a request path names under the root, or empty when it names nothing servable. */
    Optional<Path> resolve(String rawPath) {
        if (!rawPath.startsWith("/")) {
            return Optional.empty(); // absolute-form or asterisk-form: not a file of ours
        }
        String path = decode(rawPath);
        if (path == null || path.indexOf('\0') >= 0 || path.indexOf('\\') >= 0) {
            return Optional.empty();
        }
        Path candidate = root;
        for (String segment : path.split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                return Optional.empty();
            }
            if (!segment.isEmpty()) {
                candidate = candidate.resolve(segment);
            }
        }
        try {
            Path real = candidate.toRealPath();
            return real.startsWith(root) ? Optional.of(real) : Optional.empty();
        } catch (IOException | java.nio.file.InvalidPathException e) {
            return Optional.empty();
        }
    }

    /** Percent-decodes once; null for a malformed escape or bytes that are not UTF-8. */
    static String decode(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteBuffer bytes = ByteBuffer.allocate(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return null;
                }
                int high = Character.digit(raw.charAt(i + 1), 16);
                int low = Character.digit(raw.charAt(i + 2), 16);
                if (high < 0 || low < 0) {
                    return null;
                }
                bytes.put((byte) (high << 4 | low));
                i += 2;
            } else if (c > 0x7f) {
                return null; // the request line is ASCII; anything else was sent raw to confuse
            } else {
                bytes.put((byte) c);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes.flip())
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private void sendFile(Exchange exchange, Path file, BasicFileAttributes attributes) throws IOException {
        HttpHeaders requestHeaders = exchange.request().headers();
        long length = attributes.size();
        long modifiedMillis = attributes.lastModifiedTime().toMillis();
        // HTTP dates have whole seconds; validators compare what the client was given.
        Date lastModified = new Date(modifiedMillis - modifiedMillis % 1000);
        String etag = "\"" + Long.toHexString(length) + "-" + Long.toHexString(attributes.lastModifiedTime()
                .to(java.util.concurrent.TimeUnit.NANOSECONDS)) + "\"";

        if (notModified(requestHeaders, etag, lastModified)) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED,
                    exchange.alloc().buffer(0));
            validators(response.headers(), etag, lastModified);
            exchange.send(response);
            return;
        }
        ByteRange range = null;
        if (exchange.request().method().equals(HttpMethod.GET) && ifRangeHolds(requestHeaders, etag, lastModified)) {
            String header = requestHeaders.get(HttpHeaderNames.RANGE);
            range = header == null ? null : ByteRange.parse(header, length);
        }
        if (range == ByteRange.UNSATISFIABLE) {
            FullHttpResponse response = Responses.plain(exchange.alloc(), HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                    "range not satisfiable: the file has " + length + " bytes");
            response.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + length);
            exchange.send(response);
            return;
        }
        long offset = range == null ? 0 : range.first();
        long count = range == null ? length : range.length();
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                range == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT);
        HttpHeaders headers = head.headers();
        headers.set(HttpHeaderNames.CONTENT_TYPE, ContentTypes.of(file.getFileName().toString()))
                .set(HttpHeaderNames.CONTENT_LENGTH, count)
                .set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
        validators(headers, etag, lastModified);
        if (range != null) {
            headers.set(HttpHeaderNames.CONTENT_RANGE, "bytes " + range.first() + "-" + range.last() + "/" + length);
        }
        if (exchange.request().method().equals(HttpMethod.HEAD) || count == 0) {
            exchange.sendFile(head, null, 0, 0);
            return;
        }
        // Opened last, after every answer that needs no body; the exchange owns it from here.
        exchange.sendFile(head, FileChannel.open(file, StandardOpenOption.READ), offset, count);
    }

    private static void validators(HttpHeaders headers, String etag, Date lastModified) {
        headers.set(HttpHeaderNames.ETAG, etag)
                .set(HttpHeaderNames.LAST_MODIFIED, DateFormatter.format(lastModified))
                .set(HttpHeaderNames.CACHE_CONTROL, CACHE_CONTROL);
    }

    /**
     * RFC 9110 §13.2.2: If-None-Match, when present, decides alone (weak comparison); else
     * If-Modified-Since, when it is a valid date.
     */
    static boolean notModified(HttpHeaders headers, String etag, Date lastModified) {
        String noneMatch = headers.get(HttpHeaderNames.IF_NONE_MATCH);
        if (noneMatch != null) {
            for (String tag : noneMatch.split(",")) {
                String t = tag.trim();
                if (t.equals("*") || opaque(t).equals(opaque(etag))) {
                    return true;
                }
            }
            return false;
        }
        String since = headers.get(HttpHeaderNames.IF_MODIFIED_SINCE);
        Date date = since == null ? null : DateFormatter.parseHttpDate(since);
        return date != null && !lastModified.after(date);
    }

    /** If-Range (RFC 9110 §13.1.5): a range applies only to the representation the client has. */
    private static boolean ifRangeHolds(HttpHeaders headers, String etag, Date lastModified) {
        String ifRange = headers.get(HttpHeaderNames.IF_RANGE);
        if (ifRange == null) {
            return true;
        }
        String value = ifRange.trim();
        if (value.startsWith("\"")) {
            return value.equals(etag); // strong comparison
        }
        Date date = DateFormatter.parseHttpDate(value);
        return date != null && date.equals(lastModified);
    }

    /** An entity tag without its weakness mark. */
    private static String opaque(String tag) {
        return tag.startsWith("W/") ? tag.substring(2) : tag;
    }

    private static void redirectToDirectory(Exchange exchange, String rawPath, String query) {
        // Collapsed leading slashes: "//host" would be a protocol-relative redirect to another site.
        String location = visibleAscii("/" + rawPath.replaceFirst("^/+", "") + "/" + query);
        FullHttpResponse response = Responses.plain(exchange.alloc(), HttpResponseStatus.MOVED_PERMANENTLY,
                "a directory: " + location);
        response.headers().set(HttpHeaderNames.LOCATION, location);
        exchange.send(response);
    }

    /**
     * {@code text} with every byte of its UTF-8 form outside visible ASCII percent-encoded: the
     * request target may carry UTF-8 (the front decodes it), which a header value must not.
     */
    private static String visibleAscii(String text) {
        StringBuilder encoded = new StringBuilder(text.length());
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            if (b > ' ' && b < 0x7f) {
                encoded.append((char) b);
            } else {
                encoded.append('%').append(HEX.toHexDigits(b));
            }
        }
        return encoded.toString();
    }

    private static void notFound(Exchange exchange) {
        exchange.send(Responses.plain(exchange.alloc(), HttpResponseStatus.NOT_FOUND, "not found"));
    }

    /** The first and last byte of a single range, inclusive. */
    record ByteRange(long first, long last) {
        static final ByteRange UNSATISFIABLE = new ByteRange(-1, -1);

        long length() {
            return last - first + 1;
        }

        /**
         * A {@code Range} header against a file of {@code length} bytes: the range, or
         * {@link #UNSATISFIABLE}, or null when the header is to be ignored and the whole file
         * sent — unparsable, another unit, or several ranges (RFC 9110 §14.2 lets a server
         * ignore Range; a multipart/byteranges answer is not worth its complexity here).
         */
        static ByteRange parse(String header, long length) {
            String value = header.trim();
            if (!value.regionMatches(true, 0, "bytes=", 0, 6) || value.indexOf(',') >= 0) {
                return null;
            }
            String spec = value.substring(6).trim();
            int dash = spec.indexOf('-');
            if (dash < 0) {
                return null;
            }
            try {
                String from = spec.substring(0, dash).trim();
                String to = spec.substring(dash + 1).trim();
                if (from.isEmpty()) {
                    long suffix = digits(to);
                    if (suffix == 0 || length == 0) {
                        return UNSATISFIABLE;
                    }
                    return new ByteRange(Math.max(0, length - suffix), length - 1);
                }
                long first = digits(from);
                long last = to.isEmpty() ? length - 1 : digits(to);
                if (last < first) {
                    return null;
                }
                if (first >= length) {
                    return UNSATISFIABLE;
                }
                return new ByteRange(first, Math.min(last, length - 1));
            } catch (NumberFormatException e) {
                return null;
            }
        }

        /** Only ASCII digits: {@code Long.parseLong} also takes a sign. */
        private static long digits(String s) {
            if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new NumberFormatException(s);
            }
            return Long.parseLong(s);
        }
    }

    /** The answer went out in {@link #open}; nothing of the request is needed after it. */
    private enum Finished implements Call {
        CALL;

        @Override
        public void onBody(HttpContent piece) {
            piece.release();
        }

        @Override
        public void onTimeout() {}

        @Override
        public void cancel() {}
    }

    @Override
    public void close() {}
}
