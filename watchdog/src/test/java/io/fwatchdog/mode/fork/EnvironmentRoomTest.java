package io.fwatchdog.mode.fork;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Request headers become environment variables in the fork modes, and Linux refuses to start a
 * process whose variables exceed its limits: such requests are the client's fault (431), found
 * before any process is started.
 */
class EnvironmentRoomTest {
    /** {@code Http_X_Big=} and a value this long is 131071 bytes: with its NUL, Linux's MAX_ARG_STRLEN. */
    private static final int LONGEST_VALUE = 131_072 - 1 - "Http_X_Big=".length();

    @Test
    void answers431WithoutStartingTheFunctionForAHeaderTooLongForOneVariable() throws Exception {
        String big = "X-Big: " + "a".repeat(LONGEST_VALUE + 1) + "\r\n";
        for (String mode : List.of("streaming", "serializing")) {
            assertRefusedBeforeStart(mode, Map.of(), big, "Http_X_Big is 131072 bytes");
        }
    }

    @Test
    void answers431WithoutStartingTheFunctionForHeadersThatTogetherExceedTheArgumentSpace() throws Exception {
        // 7 MB: over the 6 MiB the kernel grants at most, whatever the stack limit.
        StringBuilder headers = new StringBuilder();
        for (int i = 0; i < 70; i++) {
            headers.append("X-Big-").append(i).append(": ").append("a".repeat(100_000)).append("\r\n");
        }
        for (String mode : List.of("streaming", "serializing")) {
            assertRefusedBeforeStart(mode, Map.of("max_header_size", "16Mi"), headers.toString(), "bytes of argument space");
        }
    }

    @Test
    void passesTheLongestHeaderThatFitsOneVariable() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh -c 'printf %s \"$Http_X_Big\" | wc -c'"));
                RawConnection c = w.connect()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(LONGEST_VALUE) + "\r\n\r\n");

            RawConnection.Response response = c.readResponse();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.text().trim()).isEqualTo(Integer.toString(LONGEST_VALUE));
        }
    }

    private static void assertRefusedBeforeStart(String mode, Map<String, String> settings, String headers, String reason)
            throws Exception {
        Path marker = Files.createTempDirectory("environment-room").resolve("ran");
        Map<String, String> env = new HashMap<>(settings);
        env.put("mode", mode);
        env.put("fprocess", "touch " + marker);
        try (var w = WatchdogFixture.startWithMetrics(env); RawConnection c = w.connect()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n" + headers + "\r\nGET /_/health HTTP/1.1\r\nHost: x\r\n\r\n");

            RawConnection.Response response = c.readResponse();

            assertThat(response.status()).as(mode).isEqualTo(431);
            assertThat(response.header("x-openfaas-internal")).isEqualTo("fwatchdog");
            assertThat(response.text())
                    .startsWith("request headers too large to pass to the function as environment variables")
                    .contains(reason, "cgi_headers", "max_header_size")
                    .doesNotContain(w.config.functionExecutable().orElseThrow().toString());
            assertThat(c.readResponse().status()).as("the connection still serves").isEqualTo(200);
            assertThat(marker).doesNotExist();
            assertThat(w.scrape()).contains("fwatchdog_function_process_starts_total 0.0",
                    "fwatchdog_function_process_start_failures_total 0.0");
        }
    }
}
