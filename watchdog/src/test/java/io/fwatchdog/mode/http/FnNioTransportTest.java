package io.fwatchdog.mode.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.FnFdks;
import io.fwatchdog.testing.WatchdogProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * upstream_protocol=fn without Netty's native transport: the NIO fallback speaks unix sockets
 * too (JDK 16+), so an Fn function still runs. A watchdog process of its own, with the native
 * transport switched off.
 */
class FnNioTransportTest {
    @Test
    void servesAnFnFunctionOnTheNioTransport() throws Exception {
        String function = FnFdks.nodeFunction().toString();
        try (var w = WatchdogProcess.start(List.of(), Map.of("mode", "http", "upstream_protocol", "fn",
                "JAVA_TOOL_OPTIONS", "-Dio.netty.transport.noNative=true"), "--port", "0", "--", "node", function);
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
}
