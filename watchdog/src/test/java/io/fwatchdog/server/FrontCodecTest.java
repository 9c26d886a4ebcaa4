package io.fwatchdog.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The front's request decoder on its own: what it lets through, and how it refuses the rest. */
class FrontCodecTest {
    private final EmbeddedChannel channel = new EmbeddedChannel(new FrontCodec(16 * 1024, 64 * 1024));

    @AfterEach
    void finish() {
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    private HttpRequest decode(byte[] bytes) {
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        Object first = channel.readInbound();
        assertThat(first).isInstanceOf(HttpRequest.class);
        for (Object rest = channel.readInbound(); rest != null; rest = channel.readInbound()) {
            ReferenceCountUtil.release(rest);
        }
        ReferenceCountUtil.release(first);
        return (HttpRequest) first;
    }

    private HttpRequest decode(String text) {
        return decode(text.getBytes(ISO_8859_1));
    }

    /** The status the front answers a refused request with; 400 for Netty's own findings. */
    private static HttpResponseStatus refusal(HttpRequest request) {
        assertThat(request.decoderResult().isFailure()).as("refused").isTrue();
        return request.decoderResult().cause() instanceof FrontCodec.Refusal refusal
                ? refusal.status : HttpResponseStatus.BAD_REQUEST;
    }

    @Test
    void passesAWellFormedRequest() {
        HttpRequest request = decode("GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(request.decoderResult().isSuccess()).isTrue();
        assertThat(request.uri()).isEqualTo("/a?b=c");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /  HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /\tHTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / http/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: x\r\n\r\n",
        "GET / HTTP/1\r\nHost: x\r\n\r\n",
        "GET /\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\nHost: x\n\n",
    })
    void refusesALooseRequestLineWith400(String text) {
        assertThat(refusal(decode(text))).isEqualTo(HttpResponseStatus.BAD_REQUEST);
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/1.2", "HTTP/2.0", "HTTP/0.9"})
    void refusesAnotherVersionWith505(String version) {
        assertThat(refusal(decode("GET / " + version + "\r\nHost: x\r\n\r\n")))
                .isEqualTo(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x01, 0x08, 0x1b, 0x7f})
    void refusesAControlByteInTheTarget(int control) {
        byte[] line = ("GET /a" + (char) control + "b HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(ISO_8859_1);

        HttpRequest request = decode(line);

        assertThat(refusal(request)).isEqualTo(HttpResponseStatus.BAD_REQUEST);
        assertThat(request.decoderResult().cause()).hasMessageContaining("control byte");
    }

    @Test
    void decodesUtf8InTheTargetSoThatItIsWrittenBackAsReceived() {
        String target = "/caf\u00e9/\u2603";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes("GET ".getBytes(ISO_8859_1));
        bytes.writeBytes(target.getBytes(UTF_8));
        bytes.writeBytes(" HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(ISO_8859_1));

        assertThat(decode(bytes.toByteArray()).uri()).isEqualTo(target);
    }

    @Test
    void refusesBytesInTheTargetThatAreNotUtf8() {
        byte[] line = "GET /\u00ff HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(ISO_8859_1);

        assertThat(refusal(decode(line))).isEqualTo(HttpResponseStatus.BAD_REQUEST);
    }

    @Test
    void refusesAnHttp11RequestWithoutHost() {
        assertThat(refusal(decode("GET / HTTP/1.1\r\n\r\n"))).isEqualTo(HttpResponseStatus.BAD_REQUEST);
    }

    @Test
    void passesAnHttp10RequestWithoutHost() {
        assertThat(decode("GET / HTTP/1.0\r\n\r\n").decoderResult().isSuccess()).isTrue();
    }

    @Test
    void refusesTwoHostHeaders() {
        assertThat(refusal(decode("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"))).isEqualTo(HttpResponseStatus.BAD_REQUEST);
    }

    @Test
    void refusesConnectWith501() {
        assertThat(refusal(decode("CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n")))
                .isEqualTo(HttpResponseStatus.NOT_IMPLEMENTED);
    }

    @Test
    void reducesAnAbsoluteFormTargetToOriginFormWithItsAuthorityAsHost() {
        HttpRequest request = decode("GET HTTP://a.test:81?q HTTP/1.1\r\nHost: b.test\r\n\r\n");

        assertThat(request.decoderResult().isSuccess()).isTrue();
        assertThat(request.uri()).isEqualTo("/?q");
        assertThat(request.headers().getAll("host")).containsExactly("a.test:81");
    }

    @ParameterizedTest
    @ValueSource(strings = {"*", "a/b", "ftp://a.test/", "http:///x", "http://user@a.test/"})
    void refusesOtherTargetForms(String target) {
        assertThat(refusal(decode("OPTIONS " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")))
                .isEqualTo(HttpResponseStatus.BAD_REQUEST);
    }

    @Test
    void refusesMoreHeaderFieldsThanTheLimitWith431() {
        StringBuilder text = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n");
        text.append("A: 1\r\n".repeat(FrontCodec.MAX_HEADERS));

        assertThat(refusal(decode(text.append("\r\n").toString())))
                .isEqualTo(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE);
    }

    @Test
    void passesAsManyHeaderFieldsAsTheLimit() {
        StringBuilder text = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n");
        text.append("A: 1\r\n".repeat(FrontCodec.MAX_HEADERS - 1));

        assertThat(decode(text.append("\r\n").toString()).decoderResult().isSuccess()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    })
    void refusesAmbiguousFraming(String text) {
        assertThat(refusal(decode(text))).isEqualTo(HttpResponseStatus.BAD_REQUEST);
    }
}
