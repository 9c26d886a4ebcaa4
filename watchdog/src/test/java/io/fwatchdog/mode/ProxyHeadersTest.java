package io.fwatchdog.mode;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * The one-pass copy of a request's headers for the function gives what a copy, the removal of
 * hop-by-hop headers and framing, a default Host and the X-Forwarded-* headers gave.
 */
class ProxyHeadersTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("10.1.2.3", 5555);

    /** The former way: copy, strip, remove Expect and framing, default Host, add X-Forwarded-*. */
    private static HttpHeaders copyAndStrip(HttpHeaders request, String defaultHost) {
        HttpHeaders headers = request.copy();
        ProxyHeaders.stripHopByHop(headers);
        headers.remove("Expect");
        headers.remove("Transfer-Encoding");
        headers.remove("Content-Length");
        if (!headers.contains("Host")) {
            headers.set("Host", defaultHost);
        }
        ProxyHeaders.addForwarded(headers, CLIENT);
        return headers;
    }

    private static List<Map.Entry<String, String>> entries(HttpHeaders headers) {
        return StreamSupport.stream(headers.spliterator(), false)
                .map(e -> Map.entry(e.getKey().toLowerCase(), e.getValue())).sorted(Map.Entry.comparingByKey()).toList();
    }

    private static void assertSameAsBefore(HttpHeaders request) {
        HttpHeaders before = copyAndStrip(request, "127.0.0.1:8082");
        HttpHeaders now = ProxyHeaders.forFunction(request, CLIENT, "127.0.0.1:8082");
        assertThat(entries(now)).isEqualTo(entries(before));
    }

    @Test
    void leavesOutHopByHopFramingAndExpectWhateverTheirCase() {
        HttpHeaders request = new DefaultHttpHeaders()
                .add("Host", "fn.example").add("connection", "keep-alive").add("Keep-Alive", "timeout=5")
                .add("TE", "trailers").add("Trailer", "X-Sum").add("UPGRADE", "h2c").add("Proxy-Connection", "close")
                .add("Proxy-Authorization", "Basic eA==").add("proxy-authenticate", "x").add("Expect", "100-continue")
                .add("Content-Length", "5").add("Content-Type", "text/plain").add("Cookie", "a=1").add("Cookie", "b=2");
        assertSameAsBefore(request);
        HttpHeaders now = ProxyHeaders.forFunction(request, CLIENT, "unused");
        assertThat(now.names()).containsExactlyInAnyOrder("Host", "Content-Type", "Cookie", "X-Forwarded-For",
                "X-Forwarded-Proto", "X-Forwarded-Host");
        assertThat(now.getAll("Cookie")).containsExactly("a=1", "b=2");
    }

    @Test
    void leavesOutWhatConnectionNamesExceptTheProtectedHeaders() {
        HttpHeaders request = new DefaultHttpHeaders()
                .add("Host", "fn.example").add("Connection", "X-Secret, content-length").add("Connection", "host ,x-call-id")
                .add("x-secret", "1").add("X-Call-Id", "abc").add("X-Forwarded-For", "1.1.1.1").add("Content-Length", "0");
        assertSameAsBefore(request);
        HttpHeaders now = ProxyHeaders.forFunction(request, CLIENT, "unused");
        assertThat(now.contains("X-Secret")).isFalse();
        assertThat(now.get("X-Call-Id")).isEqualTo("abc");
        assertThat(now.get("Host")).isEqualTo("fn.example");
    }

    @Test
    void appendsTheClientToTheFirstForwardedForAndKeepsAProxysProtoAndHost() {
        HttpHeaders request = new DefaultHttpHeaders()
                .add("host", "fn.example").add("x-forwarded-for", "1.1.1.1, 2.2.2.2").add("X-Forwarded-For", "9.9.9.9")
                .add("X-Forwarded-Proto", "https").add("x-forwarded-host", "gateway.example");
        assertSameAsBefore(request);
        HttpHeaders now = ProxyHeaders.forFunction(request, CLIENT, "unused");
        assertThat(now.getAll("X-Forwarded-For")).containsExactly("1.1.1.1, 2.2.2.2, 10.1.2.3");
        assertThat(now.get("X-Forwarded-Proto")).isEqualTo("https");
        assertThat(now.get("X-Forwarded-Host")).isEqualTo("gateway.example");
    }

    @Test
    void givesARequestWithoutHostTheDefaultOne() {
        HttpHeaders request = new DefaultHttpHeaders().add("Accept", "*/*").add("X-Forwarded-For", "");
        assertSameAsBefore(request);
        HttpHeaders now = ProxyHeaders.forFunction(request, CLIENT, "127.0.0.1:8082");
        assertThat(now.get("Host")).isEqualTo("127.0.0.1:8082");
        assertThat(now.get("X-Forwarded-For")).isEqualTo("10.1.2.3");
        assertThat(now.get("X-Forwarded-Host")).isEqualTo("127.0.0.1:8082");
    }
}
