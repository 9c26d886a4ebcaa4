package io.fwatchdog.mode.fork;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CgiEnvironmentTest {

    @Test
    void canonicalisesHeaderNamesAsGoDoes() {
        assertThat(CgiEnvironment.canonical("x-call-id")).isEqualTo("X-Call-Id");
        assertThat(CgiEnvironment.canonical("CONTENT-TYPE")).isEqualTo("Content-Type");
        assertThat(CgiEnvironment.canonical("X_under")).isEqualTo("X_under");
    }

    @Test
    void joinsRepeatedHeadersWithACommaAndSpace() {
        var request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        request.headers().add("x-tag", "a").add("X-Tag", "b");

        assertThat(CgiEnvironment.of(request)).containsEntry("Http_X_Tag", "a, b");
    }

    @Test
    void joinsHundredsOfThousandsOfRepeatedHeadersInLinearTime() {
        var request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        int count = 200_000;
        for (int i = 0; i < count; i++) {
            request.headers().add("X-Tag", "0123456789");
        }

        // Joining one value at a time copied the growing value on each repeat: for these
        // headers about 240 GB of copying, minutes; linear joining takes milliseconds. The
        // bound is far above the latter even on a loaded machine.
        Map<String, String> env = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> CgiEnvironment.of(request));

        assertThat(env.get("Http_X_Tag")).isEqualTo(String.join(", ", Collections.nCopies(count, "0123456789")));
    }

    @Test
    void aHeaderNamedQueryCannotSpoofTheQuery() {
        var request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/p");
        request.headers().add("Query", "admin=true").add("Method", "DELETE").add("Path", "/etc");

        Map<String, String> env = CgiEnvironment.of(request);

        assertThat(env).doesNotContainKey("Http_Query");
        assertThat(env).containsEntry("Http_Method", "GET").containsEntry("Http_Path", "/p");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/a%zz", "/a%2", "/a%00b"})
    void answers400WithoutRunningTheFunctionForAPathThatCannotBeDecoded(String path) throws Exception {
        Path marker = Files.createTempDirectory("cgi").resolve("ran");
        for (String mode : new String[] {"streaming", "serializing"}) {
            try (var w = WatchdogFixture.start(Map.of("mode", mode, "fprocess", "touch " + marker));
                    RawConnection c = w.connect()) {
                c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\nGET /_/health HTTP/1.1\r\nHost: x\r\n\r\n");

                RawConnection.Response response = c.readResponse();
                assertThat(response.status()).as(mode).isEqualTo(400);
                assertThat(response.header("x-openfaas-internal")).isEqualTo("fwatchdog");
                assertThat(response.text()).startsWith("malformed request: the ");
                assertThat(c.readResponse().status()).as("the connection still serves").isEqualTo(200);
                assertThat(marker).doesNotExist();
            }
        }
    }

    @Test
    void givesTheFunctionRequestMetadataInItsEnvironment() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("env.sh")));
                RawConnection c = w.connect()) {
            c.send("POST /a%20b/c+d?x=1&y=%20 HTTP/1.1\r\nHost: example.com\r\nX-Tag: one\r\nx-tag: two\r\n"
                    + "Query: spoofed\r\nX-Call-Id: call-42\r\nContent-Length: 0\r\n\r\n");

            String env = c.readResponse().text();

            assertThat(env.lines()).contains(
                    "Http_Method=POST",
                    "Http_Path=/a b/c+d",
                    "Http_Query=x=1&y=%20",
                    "Http_Host=example.com",
                    "Http_X_Tag=one, two",
                    "Http_X_Call_Id=call-42",
                    "Http_Content_Length=0");
            assertThat(env).doesNotContain("spoofed");
        }
    }

    @Test
    void marksChunkedRequestsWithTransferEncoding() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("env.sh")));
                RawConnection c = w.connect()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");

            String env = c.readResponse().text();

            assertThat(env.lines()).contains("Http_Transfer_Encoding=chunked").noneMatch(l -> l.startsWith("Http_Content_Length"));
            assertThat(env.lines()).noneMatch(l -> l.startsWith("Http_Query"));
        }
    }

    @Test
    void generatesACallIdAndReturnsIt() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("env.sh")))) {
            var response = w.get("/");

            String id = response.headers().firstValue("x-call-id").orElseThrow();
            assertThat(id).isNotBlank();
            assertThat(response.body().lines()).contains("Http_X_Call_Id=" + id);
        }
    }
}
