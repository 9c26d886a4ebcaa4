package io.fwatchdog.mode.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The direction from Fn's agent: a call made into a plain request, and the answer made of the response. */
class FnProtocolAgentTest {
    private static DefaultHttpRequest call(String... headers) {
        HttpHeaders h = new DefaultHttpHeaders().add("Host", "localhost");
        for (int i = 0; i < headers.length; i += 2) {
            h.add(headers[i], headers[i + 1]);
        }
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/call", h);
    }

    private static FnProtocol.Incoming.Request request(DefaultHttpRequest call) {
        return (FnProtocol.Incoming.Request) FnProtocol.incoming(call);
    }

    @Test
    void takesMethodPathQueryAndHostFromTheGatewayHeaders() {
        var request = request(call("Fn-Http-Method", "DELETE", "Fn-Http-Request-Url", "https://fn.example:8443/t/app/x?y=1",
                "Fn-Deadline", "2030-01-02T03:04:05+01:00"));
        assertThat(request.method()).isEqualTo(HttpMethod.DELETE);
        assertThat(request.uri()).isEqualTo("/t/app/x?y=1");
        assertThat(request.headers().get("Host")).isEqualTo("fn.example:8443");
        assertThat(request.deadline()).contains(Instant.parse("2030-01-02T02:04:05Z"));
    }

    @Test
    void aQueryRightAfterTheAuthorityGetsARootPath() {
        assertThat(request(call("Fn-Http-Method", "GET", "Fn-Http-Request-Url", "http://h?q=1")).uri()).isEqualTo("/?q=1");
    }

    @Test
    void aCallFromOutsideTheGatewayIsAPostToTheRoot() {
        var request = request(call("Content-Type", "application/json", "Content-Length", "2", "Fn-Call-Id", "c1"));
        assertThat(request.method()).isEqualTo(HttpMethod.POST);
        assertThat(request.uri()).isEqualTo("/");
        assertThat(request.headers().get("Content-Type")).isEqualTo("application/json");
        assertThat(request.headers().get("X-Call-Id")).isEqualTo("c1");
        assertThat(request.deadline()).isEmpty();
    }

    @Test
    void framingAndRoutingHeadersNeverComeFromTheGatewaySet() {
        var request = request(call("Fn-Http-Method", "POST", "Fn-Http-H-Content-Length", "5", "Fn-Http-H-Transfer-Encoding", "chunked",
                "Fn-Http-H-Host", "evil", "Fn-Http-H-Connection", "upgrade", "Fn-Http-H-Upgrade", "websocket",
                "Fn-Http-H-Expect", "100-continue", "Fn-Http-H-X-Call-Id", "forged", "Fn-Http-H-Content-Type", "text/evil",
                "Connection", "upgrade", "Fn-Http-H-X-Ok", "1", "Content-Length", "3"));
        assertThat(request.headers().names()).usingElementComparator(String.CASE_INSENSITIVE_ORDER)
                .containsExactlyInAnyOrder("X-Ok", "Host", "Content-Length");
        assertThat(request.headers().get("Content-Length")).isEqualTo("3");
        assertThat(request.headers().get("Host")).isEqualTo("localhost");
    }

    @Test
    void refusesWhatIsNotACall() {
        assertThat(FnProtocol.incoming(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/call", new DefaultHttpHeaders())))
                .isInstanceOf(FnProtocol.Incoming.Invalid.class);
        assertThat(FnProtocol.incoming(call("Fn-Http-Method", "GE T"))).isInstanceOf(FnProtocol.Incoming.Invalid.class);
        assertThat(FnProtocol.incoming(call("Fn-Http-Method", "CONNECT"))).isInstanceOf(FnProtocol.Incoming.Invalid.class);
        assertThat(FnProtocol.incoming(call("Fn-Http-Request-Url", "http://h/a b"))).isInstanceOf(FnProtocol.Incoming.Invalid.class);
        assertThat(FnProtocol.incoming(call("Fn-Http-Request-Url", "http://h@evil/"))).isInstanceOf(FnProtocol.Incoming.Invalid.class);
        assertThat(FnProtocol.incoming(call("Fn-Deadline", "tomorrow"))).isInstanceOf(FnProtocol.Incoming.Invalid.class);
    }

    @Test
    void theFunctionsAnswerIsA200WithItsStatusAndPrefixedHeaders() {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.INTERNAL_SERVER_ERROR);
        response.headers().add("Content-Type", "text/plain").add("Set-Cookie", "a=1").add("Set-Cookie", "b=2")
                .add("X-Call-Id", "id").add("Connection", "close").add("Keep-Alive", "timeout=5").add("Content-Length", "4");
        FnProtocol.toAgent(response, false, false);
        assertThat(response.status().code()).isEqualTo(200);
        assertThat(response.headers().get("Fn-Http-Status")).isEqualTo("500");
        assertThat(response.headers().getAll("Fn-Http-H-Set-Cookie")).containsExactly("a=1", "b=2");
        assertThat(response.headers().names()).usingElementComparator(String.CASE_INSENSITIVE_ORDER)
                .containsExactlyInAnyOrder("Content-Type", "Connection", "Fn-Http-Status",
                "Fn-Http-H-Set-Cookie", "Content-Length");
    }

    @Test
    void theWatchdogsFailureOfTheFunctionIs502Or504AndItsOtherAnswersAreRelayed() {
        for (int[] expected : new int[][] {{500, 502, 0}, {502, 502, 0}, {504, 504, 0}, {429, 200, 429}, {503, 200, 503}}) {
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(expected[0]));
            FnProtocol.toAgent(response, true, false);
            assertThat(response.status().code()).as("%d", expected[0]).isEqualTo(expected[1]);
            assertThat(response.headers().get("Fn-Http-Status")).isEqualTo(expected[2] == 0 ? null : Integer.toString(expected[2]));
        }
    }

    @Test
    void aHeadCallsAnswerIsEmptyAndFramedSoTheHopStaysInStep() {
        FullHttpResponse full = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.copiedBuffer("body", StandardCharsets.UTF_8));
        full.headers().set("Content-Length", "4");
        FnProtocol.toAgent(full, false, true);
        assertThat(full.content().readableBytes()).isZero();
        assertThat(full.headers().get("Content-Length")).isEqualTo("0");
        full.release();

        HttpResponse chunked = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        chunked.headers().set("Transfer-Encoding", "chunked");
        FnProtocol.toAgent(chunked, false, true);
        assertThat(chunked.headers().get("Content-Length")).isEqualTo("0");
        assertThat(chunked.headers().contains("Transfer-Encoding")).isFalse();
    }

    @Test
    void aBodyWithoutALengthIsChunked() {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        FnProtocol.toAgent(response, false, false);
        assertThat(response.headers().get("Transfer-Encoding")).isEqualTo("chunked");
    }
}
