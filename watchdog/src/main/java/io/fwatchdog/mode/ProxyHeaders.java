package io.fwatchdog.mode;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Header and framing rules shared by the modes that pass a request on to a server of the
 * function's (http and afterburn): which headers describe only one connection, the
 * {@code X-Forwarded-*} headers that tell the function who asked, and how many interim
 * responses may come before the answer.
 */
public final class ProxyHeaders {
    /** Headers that describe one connection, never forwarded (RFC 9110 §7.6.1). */
    private static final Set<AsciiString> HOP_BY_HOP = Set.of(
            HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_AUTHENTICATE,
            HttpHeaderNames.PROXY_AUTHORIZATION, AsciiString.cached("proxy-connection"), HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE);
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("X-Forwarded-Proto");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("X-Forwarded-Host");
    /**
     * Headers that {@code Connection} cannot make hop-by-hop: the message's framing and routing,
     * and the headers the watchdog itself sets. Naming one there is how a client or a function
     * would strip a request's or a response's framing and desynchronise the parsers behind.
     */
    private static final Set<AsciiString> PROTECTED = Stream.of(
            HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.HOST,
            Responses.CALL_ID, X_FORWARDED_FOR, X_FORWARDED_PROTO, X_FORWARDED_HOST)
            .map(AsciiString::toLowerCase).collect(Collectors.toUnmodifiableSet());

    /**
     * Most interim (1xx) responses skipped before the final one; real servers send one or two,
     * and one that only ever says "wait" is broken, not slow.
     */
    public static final int MAX_INTERIM_RESPONSES = 16;

    /**
     * Left out when a request's headers are copied for the function ({@link #forFunction}):
     * the hop-by-hop ones, {@code Expect} (the front answered it), the framing (the caller sets
     * the one it decided) and {@code X-Forwarded-For} (rewritten). As case-insensitive hashes,
     * so that a header is looked up without making a lower-case copy of its name.
     */
    private static final AsciiString[] NOT_COPIED = Stream.concat(HOP_BY_HOP.stream(),
                    Stream.of(HttpHeaderNames.EXPECT, HttpHeaderNames.CONTENT_LENGTH, X_FORWARDED_FOR))
            .distinct().toArray(AsciiString[]::new);
    private static final int[] NOT_COPIED_HASHES = Stream.of(NOT_COPIED).mapToInt(name -> AsciiString.hashCode(name)).toArray();
    private static final AsciiString HTTP = AsciiString.cached("http");

    private ProxyHeaders() {}

    /**
     * A request's headers as the function gets them, made in one pass over {@code request}:
     * without the hop-by-hop headers, those its Connection header names (except the
     * {@linkplain #PROTECTED protected} ones), {@code Expect}, {@code Content-Length} and
     * {@code Transfer-Encoding} (the caller sets the framing it decided), and with
     * {@code X-Forwarded-*} as {@link #addForwarded} makes them; {@code defaultHost} is the Host
     * of a request without one (HTTP/1.0). The same result as a copy followed by
     * {@link #stripHopByHop}, setting Host and {@link #addForwarded}, without the copy and the
     * removals.
     */
    public static HttpHeaders forFunction(HttpHeaders request, SocketAddress client, CharSequence defaultHost) {
        List<AsciiString> named = request.contains(HttpHeaderNames.CONNECTION) ? connectionNamed(request) : List.of();
        HttpHeaders headers = COPIES.newHeaders();
        String forwardedFor = null;
        CharSequence host = null;
        boolean proto = false;
        boolean forwardedHost = false;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = request.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            CharSequence name = header.getKey();
            int hash = AsciiString.hashCode(name);
            int skip = notCopied(name, hash);
            if (skip >= 0) {
                if (NOT_COPIED[skip] == X_FORWARDED_FOR && forwardedFor == null) {
                    forwardedFor = header.getValue().toString();
                }
                continue;
            }
            if (!named.isEmpty() && isNamed(named, name)) {
                continue;
            }
            if (host == null && AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST)) {
                host = header.getValue();
            } else if (!proto && AsciiString.contentEqualsIgnoreCase(name, X_FORWARDED_PROTO)) {
                proto = true;
            } else if (!forwardedHost && AsciiString.contentEqualsIgnoreCase(name, X_FORWARDED_HOST)) {
                forwardedHost = true;
            }
            headers.add(name, header.getValue());
        }
        if (host == null) {
            host = defaultHost;
            headers.add(HttpHeaderNames.HOST, host);
        }
        String address = clientAddress(client);
        headers.add(X_FORWARDED_FOR, forwardedFor == null || forwardedFor.isBlank() ? address : forwardedFor + ", " + address);
        if (!proto) {
            headers.add(X_FORWARDED_PROTO, HTTP);
        }
        if (!forwardedHost) {
            headers.add(X_FORWARDED_HOST, host);
        }
        return headers;
    }

    /** Copies skip validation: what they copy was validated when the request was decoded. */
    private static final DefaultHttpHeadersFactory COPIES = DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    /** The index in {@link #NOT_COPIED} of the header called {@code name}, or -1. */
    private static int notCopied(CharSequence name, int hash) {
        for (int i = 0; i < NOT_COPIED_HASHES.length; i++) {
            if (NOT_COPIED_HASHES[i] == hash && AsciiString.contentEqualsIgnoreCase(name, NOT_COPIED[i])) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isNamed(List<AsciiString> named, CharSequence name) {
        for (AsciiString one : named) {
            if (one.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The header names the Connection header lists that it may strip, lower-case, other than
     * the hop-by-hop ones (gone anyway).
     */
    private static List<AsciiString> connectionNamed(HttpHeaders headers) {
        List<AsciiString> named = new ArrayList<>(2);
        for (String connection : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : connection.split(",")) {
                AsciiString name = AsciiString.of(token.trim()).toLowerCase();
                if (!name.isEmpty() && !PROTECTED.contains(name) && !HOP_BY_HOP.contains(name)) {
                    named.add(name);
                }
            }
        }
        return named;
    }

    /**
     * Removes hop-by-hop headers, those the Connection header names included, except the
     * {@linkplain #PROTECTED protected} ones; the caller then sets the framing it decided.
     */
    public static void stripHopByHop(HttpHeaders headers) {
        connectionNamed(headers).forEach(headers::remove);
        HOP_BY_HOP.forEach(headers::remove);
    }

    /**
     * A function's response headers as the client may see them: hop-by-hop ones gone, and no
     * {@code X-OpenFaaS-Internal}, which marks the watchdog's own answers and so is never the
     * function's to claim.
     */
    public static void fromFunction(HttpHeaders headers) {
        stripHopByHop(headers);
        headers.remove(Responses.INTERNAL_HEADER);
    }

    /**
     * Appends the client's address to {@code X-Forwarded-For}, and sets {@code X-Forwarded-Proto}
     * and {@code X-Forwarded-Host} unless a proxy in front already did.
     */
    public static void addForwarded(HttpHeaders headers, SocketAddress client) {
        String address = clientAddress(client);
        String forwarded = headers.get(X_FORWARDED_FOR);
        headers.set(X_FORWARDED_FOR, forwarded == null || forwarded.isBlank() ? address : forwarded + ", " + address);
        if (!headers.contains(X_FORWARDED_PROTO)) {
            headers.set(X_FORWARDED_PROTO, "http");
        }
        String host = headers.get(HttpHeaderNames.HOST);
        if (host != null && !headers.contains(X_FORWARDED_HOST)) {
            headers.set(X_FORWARDED_HOST, host);
        }
    }

    private static String clientAddress(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
        }
        return "unknown";
    }
}
