package io.fwatchdog.mode.fork;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SerializingModeTest {

    private static Map<String, String> serializing(String fprocess, String... more) {
        var settings = new java.util.HashMap<String, String>(Map.of("mode", "serializing", "fprocess", fprocess));
        for (int i = 0; i < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        return settings;
    }

    @Test
    void answersWithContentLengthAndTheFunctionsRunTime() throws Exception {
        try (var w = WatchdogFixture.start(serializing("cat"))) {
            HttpResponse<String> response = w.post("/", "buffered body");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("buffered body");
            assertThat(response.headers().firstValue("content-length")).hasValue("13");
            assertThat(response.headers().firstValue("x-duration-seconds")).hasValueSatisfying(
                    value -> assertThat(Double.parseDouble(value)).isPositive());
        }
    }

    @Test
    void returns500NamingTheExitStatus() throws Exception {
        try (var w = WatchdogFixture.start(serializing("sh " + function("fail.sh")))) {
            HttpResponse<String> response = w.client.send(HttpRequest.newBuilder(w.uri("/"))
                    .header("X-Exit", "7").header("X-Output", "discarded").build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.body()).isEqualTo("function exited with status 7\n");
        }
    }

    @Test
    void appendsStderrToTheBodyWithCombineOutput() throws Exception {
        try (var w = WatchdogFixture.start(serializing("sh -c 'echo out; echo err >&2'", "combine_output", "true"))) {
            HttpResponse<String> response = w.get("/");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("out\nerr\n");
        }
    }

    @Test
    void appendsStderrToTheFailureMessageWithCombineOutput() throws Exception {
        try (var w = WatchdogFixture.start(serializing("sh " + function("fail.sh"), "combine_output", "true"))) {
            HttpResponse<String> response = w.get("/");

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.body()).isEqualTo("function exited with status 3\nfailing on purpose\n");
        }
    }

    @Test
    void returns413WhenTheDeclaredBodyExceedsMaxBodySize() throws Exception {
        try (var w = WatchdogFixture.start(serializing("cat", "max_body_size", "16"));
                RawConnection c = w.connect()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n");

            RawConnection.Response response = c.readResponse();

            assertThat(response.status()).isEqualTo(413);
            assertThat(response.text()).contains("max_body_size");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void returns413WhenAChunkedBodyGrowsPastMaxBodySize() throws Exception {
        try (var w = WatchdogFixture.start(serializing("cat", "max_body_size", "16"));
                RawConnection c = w.connect()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n1\r\nX\r\n");

            assertThat(c.readResponse().status()).isEqualTo(413);
        }
    }

    @Test
    void returns504WhenTheFunctionExceedsExecTimeout() throws Exception {
        try (var w = WatchdogFixture.start(serializing("sleep 30", "exec_timeout", "300ms"))) {
            HttpResponse<String> response = w.get("/");

            assertThat(response.statusCode()).isEqualTo(504);
            assertThat(response.body()).contains("exec_timeout");
        }
    }

    @Test
    void killsAFunctionThatIgnoresSigtermAfterTheGrace() throws Exception {
        try (var w = WatchdogFixture.start(serializing("sh " + function("ignore-term.sh"), "exec_timeout", "300ms"))) {
            assertThat(w.post("/", "x").statusCode()).isEqualTo(504);
        }
    }

    @Test
    void roundTripsEveryByteValue() throws Exception {
        byte[] all = new byte[256 * 4];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        try (var w = WatchdogFixture.start(serializing("cat"))) {
            HttpResponse<byte[]> response = w.client.send(HttpRequest.newBuilder(w.uri("/"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(all)).build(), HttpResponse.BodyHandlers.ofByteArray());

            assertThat(response.body()).isEqualTo(all);
        }
    }
}
