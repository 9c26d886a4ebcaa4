package io.fwatchdog.mode.http;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.FnFdks;
import io.fwatchdog.testing.WatchdogProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unix-socket upstreams without Netty's native transport: the NIO fallback speaks unix sockets
 * too (JDK 16+), so an Fn function and a {@code unix:} upstream_url still work. Each a watchdog
 * process of its own, with the native transport switched off.
 */
class NioTransportTest {
    private static final String NO_NATIVE = "-Dio.netty.transport.noNative=true";

    @Test
    void servesAnFnFunctionOnTheNioTransport() throws Exception {
        String function = FnFdks.nodeFunction().toString();
        try (var w = WatchdogProcess.start(List.of(), Map.of("mode", "http", "upstream_protocol", "fn",
                "JAVA_TOOL_OPTIONS", NO_NATIVE), "--port", "0", "--", "node", function);
                var client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            w.awaitHealthy();
            URI uri = URI.create("http://127.0.0.1:" + w.port() + "/echo?status=203");

            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString("over nio")).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(203);
            assertThat(response.body()).isEqualTo("over nio");
            assertThat(w.stop(Duration.ofSeconds(30))).isZero();
        }
    }

    @Test
    void proxiesToAUnixSocketUpstreamOnTheNioTransport(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("fn.sock");
        try (var w = WatchdogProcess.start(List.of(), Map.of("mode", "http", "upstream_url", "unix:" + socket,
                "JAVA_TOOL_OPTIONS", NO_NATIVE), "--port", "0", "--", "python3", function("http_upstream.py"),
                "unix:" + socket);
                var client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            w.awaitHealthy();
            URI uri = URI.create("http://127.0.0.1:" + w.port() + "/echo");

            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString("unix over nio")).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("unix over nio");
            assertThat(w.stop(Duration.ofSeconds(30))).isZero();
        }
    }
}
