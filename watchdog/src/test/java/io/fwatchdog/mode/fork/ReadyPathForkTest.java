package io.fwatchdog.mode.fork;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.WatchdogFixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code /_/ready} with {@code ready_path} in the fork modes: a process runs for the probe as for
 * a request, and only a clean exit reads as ready, in streaming mode as in serializing.
 */
class ReadyPathForkTest {

    private static WatchdogFixture start(String mode, String command, String readyPath, String... settings) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("mode", mode, "fprocess", command, "ready_path", readyPath));
        for (int i = 0; i < settings.length; i += 2) {
            env.put(settings[i], settings[i + 1]);
        }
        return WatchdogFixture.start(env);
    }

    private static HttpResponse<String> ready(WatchdogFixture w, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(w.uri("/_/ready")).timeout(Duration.ofSeconds(60));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return w.client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"streaming", "serializing"})
    void answersWithTheFunctionsOutputWhenItExitsCleanly(String mode) throws Exception {
        try (var w = start(mode, "sh " + function("ready.sh"), "/ready", "content_type", "text/plain")) {
            HttpResponse<String> response = ready(w);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("ready");
            assertThat(response.headers().firstValue("content-type")).hasValue("text/plain");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"streaming", "serializing"})
    void isNotReadyWhenTheFunctionExitsNonZeroEvenAfterWriting(String mode) throws Exception {
        try (var w = start(mode, "sh " + function("ready.sh"), "/ready")) {
            HttpResponse<String> response = ready(w, "X-Output", "looks fine", "X-Exit", "3");

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.body()).contains("ready_path /ready", "function exited with status 3")
                    .doesNotContain("looks fine");
            assertThat(w.get("/_/health").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void theProbeIsAGetOfReadyPathWithItsOwnCallId() throws Exception {
        try (var w = start("streaming", "sh " + function("env.sh"), "/ready/deep?x=1")) {
            HttpResponse<String> response = ready(w, "X-Custom", "kept", "X-Call-Id", "the-probers-own");

            String probeCallId = response.headers().firstValue("x-call-id").orElseThrow();
            assertThat(response.body().lines()).contains("Http_Method=GET", "Http_Path=/ready/deep", "Http_Query=x=1",
                    "Http_X_Custom=kept", "Http_X_Call_Id=" + probeCallId);
            assertThat(probeCallId).isNotEqualTo("the-probers-own");
        }
    }

    @Test
    void aPreforkedProcessServesTheProbe() throws Exception {
        String marker = "ready-prefork-" + UUID.randomUUID();
        try (var w = start("serializing", "sh " + function("pid-echo.sh") + " " + marker, "/ready",
                "prefork", "1", "cgi_headers", "false")) {
            Processes.await(Duration.ofSeconds(30), () -> functionPids(marker).size() == 1);
            Set<Long> waiting = functionPids(marker);

            HttpResponse<String> response = ready(w);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(waiting).contains(Long.parseLong(response.body().trim()));
        }
    }

    /** Live children of this JVM (the watchdog) that run the function with {@code marker}. */
    private static Set<Long> functionPids(String marker) {
        return ProcessHandle.current().children()
                .filter(p -> p.info().arguments().map(args -> List.of(args).contains(marker)).orElse(false))
                .map(ProcessHandle::pid)
                .collect(Collectors.toSet());
    }
}
