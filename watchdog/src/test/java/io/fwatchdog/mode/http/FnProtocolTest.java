package io.fwatchdog.mode.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The translation both ways and the listener handshake, without an FDK. */
class FnProtocolTest {
    @TempDir
    Path tmp;

    private static HttpResponse fdk(int status, String... headers) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        for (int i = 0; i < headers.length; i += 2) {
            response.headers().add(headers[i], headers[i + 1]);
        }
        return response;
    }

    private static FnProtocol.Answer.Relay relay(HttpResponse fdk) {
        return (FnProtocol.Answer.Relay) FnProtocol.answer(fdk);
    }

    @Test
    void aCallCarriesTheRequestInFnHeadersWithTheWatchdogsFraming() {
        HttpHeaders client = new DefaultHttpHeaders()
                .add("host", "example.com:8080").add("content-type", "text/plain").add("x-multi", "1").add("x-multi", "2")
                .add("content-length", "5").add("fn-deadline", "2000-01-01T00:00:00Z").add("x-call-id", "abc");

        HttpRequest call = FnProtocol.call(HttpMethod.PUT, "/p?q=1", client, "abc", Instant.parse("2030-01-02T03:04:05.678Z"));

        assertThat(call.method()).isEqualTo(HttpMethod.POST);
        assertThat(call.uri()).isEqualTo("/call");
        HttpHeaders h = call.headers();
        assertThat(h.get("Host")).isEqualTo("localhost");
        assertThat(h.get("Content-Type")).isEqualTo("text/plain");
        assertThat(h.get("Content-Length")).isEqualTo("5");
        assertThat(h.getAll("Fn-Http-H-X-Multi")).containsExactly("1", "2");
        assertThat(h.get("Fn-Http-H-Fn-Deadline")).isEqualTo("2000-01-01T00:00:00Z");
        assertThat(h.get("Fn-Deadline")).isEqualTo("2030-01-02T03:04:05Z");
        assertThat(h.get("Fn-Http-Method")).isEqualTo("PUT");
        assertThat(h.get("Fn-Http-Request-Url")).isEqualTo("http://example.com:8080/p?q=1");
        assertThat(h.get("Fn-Call-Id")).isEqualTo("abc");
        assertThat(h.get("Fn-Intent")).isEqualTo("httprequest");
        assertThat(h.names()).noneMatch(name -> name.equalsIgnoreCase("Fn-Http-H-Host")
                || name.equalsIgnoreCase("Fn-Http-H-Content-Length") || name.equalsIgnoreCase("Fn-Http-H-X-Call-Id"));
    }

    @Test
    void theAnswerTakesItsStatusAndHeadersFromTheFnHeadersOnly() {
        var answer = relay(fdk(200, "Fn-Http-Status", "418", "Fn-Http-H-X-A", "1", "Fn-Http-H-X-A", "2",
                "Content-Type", "text/x", "Fn-Fdk-Version", "fdk/1", "X-Plain", "dropped", "Content-Length", "3"));

        assertThat(answer.status().code()).isEqualTo(418);
        assertThat(answer.headers().getAll("X-A")).containsExactly("1", "2");
        assertThat(answer.headers().get("Content-Type")).isEqualTo("text/x");
        assertThat(answer.headers().get("Content-Length")).isEqualTo("3");
        assertThat(answer.headers().contains("Fn-Fdk-Version")).isFalse();
        assertThat(answer.headers().contains("X-Plain")).isFalse();
    }

    @Test
    void framingAndRoutingHeadersCannotBeSmuggledThroughFnHttpH() {
        var answer = relay(fdk(200, "Fn-Http-H-Content-Length", "1", "fn-http-h-transfer-encoding", "chunked",
                "Fn-Http-H-Connection", "close", "Fn-Http-H-Host", "evil", "Fn-Http-H-X-Call-Id", "forged",
                "Fn-Http-H-", "empty name", "Content-Length", "10"));

        assertThat(answer.headers().names()).map(String::toLowerCase).containsExactly("content-length");
        assertThat(answer.headers().get("Content-Length")).isEqualTo("10");
    }

    @Test
    void fdkErrorsKeepTheirStatusAndOtherStatusesAreInvalid() {
        assertThat(relay(fdk(502)).status().code()).isEqualTo(502);
        assertThat(relay(fdk(504)).status().code()).isEqualTo(504);
        assertThat(FnProtocol.answer(fdk(500))).isEqualTo(new FnProtocol.Answer.Invalid("status 500 (expected: 200, 502 or 504)"));
        assertThat(FnProtocol.answer(fdk(200, "Fn-Http-Status", "99"))).isInstanceOf(FnProtocol.Answer.Invalid.class);
        assertThat(FnProtocol.answer(fdk(200, "Fn-Http-Status", "ok"))).isInstanceOf(FnProtocol.Answer.Invalid.class);
    }

    @Test
    void theListenerCountsOnlyAsASocketOrALinkToOneBesideIt() throws Exception {
        var dir = FnProtocol.SocketDir.create(tmp);
        assertThat(dir.listener().toString()).startsWith(tmp.toString()).endsWith("/lsnr.sock");
        assertThat(dir.listening()).isFalse();
        Path outside = tmp.resolve("outside.sock");
        try (var elsewhere = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                var beside = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            elsewhere.bind(UnixDomainSocketAddress.of(outside));
            Files.createSymbolicLink(dir.listener(), outside);
            assertThat(dir.listening()).as("a link out of the directory").isFalse();

            Files.delete(dir.listener());
            beside.bind(UnixDomainSocketAddress.of(dir.dir().resolve("phony.sock")));
            Files.createSymbolicLink(dir.listener(), Path.of("phony.sock"));
            assertThat(dir.listening()).isTrue();

            dir.clear();
            assertThat(dir.listening()).isFalse();
            try (var left = Files.list(dir.dir())) {
                assertThat(left).isEmpty();
            }
        }
        dir.remove();
        assertThat(dir.dir()).doesNotExist();
    }

    @Test
    void aSocketPathTooLongForUnixSocketsIsRefusedAtCreation() throws Exception {
        Path deep = Files.createDirectories(tmp.resolve("d".repeat(100)));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> FnProtocol.SocketDir.create(deep))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("TMPDIR");
        try (var left = Files.list(deep)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void memoryIsTheCgroupLimitInMebibytesElseFnsDefault() throws Exception {
        Path limit = tmp.resolve("memory.max");
        Files.writeString(limit, "268435456\n");
        assertThat(FnProtocol.memoryMegabytes(limit)).isEqualTo(256);
        Files.writeString(limit, "max\n");
        assertThat(FnProtocol.memoryMegabytes(limit)).isEqualTo(128);
        assertThat(FnProtocol.memoryMegabytes(tmp.resolve("absent"))).isEqualTo(128);
    }
}
