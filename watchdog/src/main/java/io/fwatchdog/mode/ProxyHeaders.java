package io.fwatchdog.mode;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
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

    private ProxyHeaders() {}

    /**
     * Removes hop-by-hop headers, those the Connection header names included, except the
     * {@linkplain #PROTECTED protected} ones; the caller then sets the framing it decided.
     */
    public static void stripHopByHop(HttpHeaders headers) {
        for (String connection : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : connection.split(",")) {
                AsciiString name = AsciiString.of(token.trim()).toLowerCase();
                if (!name.isEmpty() && !PROTECTED.contains(name)) {
                    headers.remove(name);
                }
            }
        }
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
