package io.fwatchdog.mode.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.RecordingUpstream;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes the header set of requests proxied in http mode, {@code Connection} naming any header
 * included, against an upstream that parses the raw bytes it receives strictly. Oracle: the
 * upstream sees exactly one request per client request, and only requests the clients sent,
 * each framed unambiguously and with one Host and one {@code X-Call-Id}; a request the upstream
 * answered reached it with the body the client framed, and the answer reached the client framed
 * once, whatever Connection header the upstream answered with.
 *
 * <p>Each input is one request to {@code /fuzz/N} with a body that is itself a complete request
 * to {@code /SMUGGLED}: if the framing is lost anywhere, the upstream parses that body as a second
 * request. After it, a fence request to {@code /fence/N} goes through the pooled upstream
 * connections, so what a desynchronised connection holds is read by the upstream as well.
 */
class HttpProxyFuzzTest {
    private static final long HANG_LIMIT_MILLIS = 20_000;
    private static final Pattern EXPECTED_TARGET = Pattern.compile("/(fuzz|fence)/[0-9]+");
    private static final String SMUGGLED = "GET /SMUGGLED HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    /** Request headers that make the upstream answer with this Connection header, or chunked. */
    private static final String REPLY_CONNECTION = "X-Reply-Connection";
    private static final String REPLY_CHUNKED = "X-Reply-Chunked";
    private static final String[] METHODS = {"GET", "POST", "PUT", "HEAD", "OPTIONS", "DELETE", "PATCH", "TRACE"};
    private static final String[] NAMES = {"Content-Length", "content-length", "Transfer-Encoding", "Connection",
        "Host", "X-Call-Id", "Upgrade", "Expect", "TE", "Trailer", "Keep-Alive", "Proxy-Connection", "X-Forwarded-For",
        "X-Forwarded-Host", "X-Forwarded-Proto", "Content-Type", "X-Timeout", "Cookie", "Accept-Encoding",
        REPLY_CONNECTION, REPLY_CHUNKED};
    private static final String[] VALUES = {"close", "keep-alive", "chunked", "upgrade", "websocket", "100-continue",
        "0", "1", "identity", "trailers", "h2c", "x"};

    private static RecordingUpstream upstream;
    private static WatchdogFixture watchdog;
    private static int inputs;

    @BeforeAll
    static void start() throws Exception {
        upstream = RecordingUpstream.start(HttpProxyFuzzTest::reply);
        watchdog = WatchdogFixture.start(Map.of(
                "mode", "http",
                "upstream_url", upstream.url(),
                "read_timeout", "200ms",
                "exec_timeout", "5s",
                "write_timeout", "5s",
                "max_header_size", "16Ki"));
    }

    @AfterAll
    static void stop() throws IOException {
        try {
            assertUpstreamSawOnlyWhatClientsSent();
        } finally {
            watchdog.close();
            upstream.close();
        }
    }

    private enum Framing { NONE, LENGTH, CHUNKED }

    @FuzzTest
    void theUpstreamSeesOneRequestPerClientRequestFramedByTheWatchdog(FuzzedDataProvider data) throws IOException {
        int input = ++inputs;
        String target = "/fuzz/" + input;
        StringBuilder head = new StringBuilder()
                .append(data.pickValue(METHODS)).append(' ').append(target).append(' ')
                .append(data.consumeBoolean() ? "HTTP/1.1" : "HTTP/1.0").append("\r\n");
        if (data.consumeBoolean()) {
            head.append("Host: x\r\n");
        }
        boolean framingHeaders = false;
        int headers = data.consumeInt(0, 10);
        for (int i = 0; i < headers; i++) {
            String name = data.consumeBoolean() ? data.pickValue(NAMES) : token(data.consumeAsciiString(16));
            if (name.isEmpty()) {
                continue;
            }
            framingHeaders |= name.equalsIgnoreCase("content-length") || name.equalsIgnoreCase("transfer-encoding");
            head.append(name).append(": ").append(value(data)).append("\r\n");
        }
        Framing framing = data.pickValue(Framing.values());
        byte[] body = switch (framing) {
            case NONE -> new byte[0];
            case LENGTH -> {
                head.append("Content-Length: ").append(SMUGGLED.length()).append("\r\n");
                yield SMUGGLED.getBytes(ISO_8859_1);
            }
            case CHUNKED -> {
                head.append("Transfer-Encoding: chunked\r\n");
                yield chunked(SMUGGLED, data.consumeInt(1, SMUGGLED.length()));
            }
        };
        head.append("\r\n");
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(head.toString().getBytes(ISO_8859_1));
        request.writeBytes(body);

        String received;
        String fence;
        try (SilentCloseable allowed = BugDetectors.allowNetworkConnections(
                (host, port) -> port == watchdog.port() || port == upstream.port())) {
            received = new String(RawConnection.sendUntilClosed(watchdog.port(), request.toByteArray(),
                    HANG_LIMIT_MILLIS), ISO_8859_1);
            fence = new String(RawConnection.sendUntilClosed(watchdog.port(), ("GET /fence/" + input
                    + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(ISO_8859_1), HANG_LIMIT_MILLIS),
                    ISO_8859_1);
        }

        String sent = RawConnection.printable(request.toByteArray());
        assertThat(fence).as("the fence after %s", sent).contains("X-Upstream-Target: /fence/" + input);
        assertUpstreamSawOnlyWhatClientsSent();
        int answer = received.indexOf("X-Upstream-Target: " + target + "\r\n");
        if (answer >= 0) {
            RecordingUpstream.Request seen = upstream.request(target).orElseThrow();
            if (!framingHeaders) {
                assertThat(seen.bodyText()).as("the body of %s", sent).isEqualTo(framing == Framing.NONE ? "" : SMUGGLED);
            }
            assertFramedOnce(received, answer, seen.method().equals("HEAD"), sent);
        }
    }

    /**
     * The upstream's answer reached the client as one response framed by exactly one of
     * Content-Length and chunked, carrying exactly its body, with nothing after it.
     */
    private static void assertFramedOnce(String received, int at, boolean head, String sent) {
        int start = received.lastIndexOf("HTTP/1.1 ", at);
        int end = received.indexOf("\r\n\r\n", at) + 4;
        String headers = received.substring(start, end).toLowerCase(Locale.ROOT);
        String rest = received.substring(end);
        boolean length = headers.contains("\r\ncontent-length: 5\r\n");
        boolean chunked = headers.contains("\r\ntransfer-encoding: chunked\r\n");
        assertThat(length ^ chunked).as("one framing in %s answering %s", headers, sent).isTrue();
        String body = head ? rest : length ? rest : dechunk(rest);
        assertThat(body).as("the body after %s answering %s", headers, sent).isEqualTo(head ? "" : "hello");
    }

    /** The body of a chunked message that must end where {@code text} ends; null if it does not. */
    private static String dechunk(String text) {
        StringBuilder body = new StringBuilder();
        int at = 0;
        while (true) {
            int line = text.indexOf("\r\n", at);
            if (line < 0) {
                return null;
            }
            int size = Integer.parseInt(text.substring(at, line), 16);
            at = line + 2;
            if (size == 0) {
                return text.startsWith("\r\n", at) && at + 2 == text.length() ? body.toString() : null;
            }
            body.append(text, at, at + size);
            at += size + 2;
        }
    }

    /**
     * The upstream's answer: 200 with a body of {@code hello} (none to HEAD), framed by
     * Content-Length or chunked and carrying the Connection header the request asked for.
     */
    private static void reply(RecordingUpstream.Request request, OutputStream out) throws IOException {
        StringBuilder reply = new StringBuilder("HTTP/1.1 200 OK\r\nX-Upstream-Target: ").append(request.target())
                .append("\r\n");
        request.header(REPLY_CONNECTION).forEach(value -> reply.append("Connection: ").append(value).append("\r\n"));
        boolean body = !request.method().equals("HEAD");
        if (request.header(REPLY_CHUNKED).isEmpty()) {
            reply.append("Content-Length: 5\r\n\r\n").append(body ? "hello" : "");
        } else {
            reply.append("Transfer-Encoding: chunked\r\n\r\n").append(body ? "5\r\nhello\r\n0\r\n\r\n" : "");
        }
        out.write(reply.toString().getBytes(ISO_8859_1));
    }

    /** Every request the upstream parsed was one a client sent, once, and unambiguously framed. */
    private static void assertUpstreamSawOnlyWhatClientsSent() {
        assertThat(upstream.framingErrors()).as("requests no proxy may send").isEmpty();
        Map<String, Integer> times = new HashMap<>();
        List<RecordingUpstream.Request> requests = upstream.requests();
        for (RecordingUpstream.Request request : requests) {
            assertThat(request.target()).as("a request target the upstream saw").matches(EXPECTED_TARGET);
            assertThat(request.header("host")).as("Host of %s", request.target()).hasSize(1);
            assertThat(request.header("x-call-id")).as("X-Call-Id of %s", request.target()).hasSize(1);
            assertThat(times.merge(request.target(), 1, Integer::sum)).as("times %s arrived", request.target())
                    .isEqualTo(1);
        }
    }

    /** A header value: a list of names (for Connection), a known token, or arbitrary text. */
    private static String value(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 2)) {
            case 0 -> {
                StringBuilder list = new StringBuilder(data.pickValue(NAMES));
                for (int n = data.consumeInt(0, 3); n > 0; n--) {
                    list.append(data.consumeBoolean() ? ", " : ",").append(data.pickValue(NAMES));
                }
                yield list.toString();
            }
            case 1 -> data.pickValue(VALUES);
            default -> data.consumeAsciiString(40).replace("\r", "").replace("\n", "");
        };
    }

    /** Only token characters, so a header name never changes the shape of the request. */
    private static String token(String text) {
        return text.replaceAll("[^A-Za-z0-9-]", "").toLowerCase(Locale.ROOT);
    }

    private static byte[] chunked(String body, int size) {
        StringBuilder out = new StringBuilder();
        for (int at = 0; at < body.length(); at += size) {
            String piece = body.substring(at, Math.min(body.length(), at + size));
            out.append(Integer.toHexString(piece.length())).append("\r\n").append(piece).append("\r\n");
        }
        return out.append("0\r\n\r\n").toString().getBytes(ISO_8859_1);
    }
}
