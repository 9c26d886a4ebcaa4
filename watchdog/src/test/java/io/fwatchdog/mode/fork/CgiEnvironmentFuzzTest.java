package io.fwatchdog.mode.fork;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes the Http_* mapping with requests as the front's decoder delivers them: every variable
 * name is one an environment can hold, the metadata taken from the request line is the same
 * whatever headers come with it, and every header arrives under its canonical name. A request
 * whose path cannot become an environment value is refused with an IllegalArgumentException,
 * which the fork modes answer with 400.
 */
class CgiEnvironmentFuzzTest {
    private static final List<String> RESERVED = List.of("Http_Method", "Http_Path", "Http_Query");

    @FuzzTest
    void namesAreValidAndRequestLineMetadataCannotBeOverridden(FuzzedDataProvider data) {
        StringBuilder head = new StringBuilder()
                .append(data.pickValue(List.of("GET", "POST", "HEAD", "PUT", "X-CUSTOM"))).append(' ')
                .append(data.consumeString(64)).append(" HTTP/1.1\r\n");
        int headers = data.consumeInt(0, 8);
        for (int i = 0; i < headers; i++) {
            String name = data.consumeBoolean()
                    ? data.pickValue(List.of("Method", "path", "QUERY", "Host", "Content-Length", "Transfer-Encoding",
                            "X-Call-Id", "x_call-id", "Http-Method"))
                    : data.consumeString(16);
            head.append(name).append(": ").append(data.consumeString(32)).append("\r\n");
        }
        head.append("\r\n");
        HttpRequest request = decode(head.toString());
        if (request == null) {
            return; // the front answers 400 before any mode sees it
        }
        Map<String, String> env;
        try {
            env = CgiEnvironment.of(request);
        } catch (IllegalArgumentException refused) {
            assertThat(request.uri()).containsAnyOf("%", "\0");
            return;
        }
        for (Map.Entry<String, String> variable : env.entrySet()) {
            assertThat(variable.getKey()).startsWith("Http_").hasSizeGreaterThan(5).doesNotContain("=", "\0");
            assertThat(variable.getValue()).doesNotContain("\0");
        }
        Map<String, String> bare = CgiEnvironment.of(new DefaultHttpRequest(request.protocolVersion(), request.method(),
                request.uri()));
        for (String name : RESERVED) {
            assertThat(env.get(name)).as(name).isEqualTo(bare.get(name));
        }
        assertThat(env.get("Http_Host")).isEqualTo(request.headers().get(HttpHeaderNames.HOST));
        if (HttpUtil.isTransferEncodingChunked(request)) {
            assertThat(env).containsEntry("Http_Transfer_Encoding", "chunked").doesNotContainKey("Http_Content_Length");
        }
        for (Map.Entry<String, String> header : request.headers()) {
            String name = "Http_" + CgiEnvironment.canonical(header.getKey()).replace('-', '_');
            // Host, Content-Length and Transfer-Encoding are checked above (one Host: the front refuses two).
            if (!RESERVED.contains(name) && !List.of("Http_Host", "Http_Content_Length", "Http_Transfer_Encoding").contains(name)) {
                assertThat(env.get(name)).as(name).contains(header.getValue());
            }
        }
    }

    /** The request as the front's decoder (same limits and checks) delivers it; null when it is rejected. */
    private static HttpRequest decode(String head) {
        EmbeddedChannel channel = new EmbeddedChannel(new HttpRequestDecoder(new HttpDecoderConfig()
                .setMaxInitialLineLength(16 * 1024)
                .setAllowDuplicateContentLengths(false)
                .setUseRfc9112TransferEncoding(true)));
        try {
            channel.writeInbound(Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1));
            Object message = channel.readInbound();
            if (!(message instanceof HttpRequest request) || request.decoderResult().isFailure()) {
                ReferenceCountUtil.release(message);
                return null;
            }
            ReferenceCountUtil.release(message);
            return request;
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
