package io.fwatchdog.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes the HTTP front with arbitrary bytes on a raw socket to a real watchdog. Whatever
 * arrives, the watchdog answers with 4xx, with the function's answer, or by closing the
 * connection, and it does close it within a bound: never a 5xx of its own, never a hang.
 *
 * <p>The function is {@code wc -c}: it reads all its input, always succeeds, and its output (a
 * number) cannot pass for a status line, so every status line in the received bytes is one the
 * watchdog wrote, and any 5xx among them is a finding (but the 501 and 505 that refuse CONNECT
 * and other HTTP versions). A short {@code read_timeout} ends
 * connections left mid-request, and idle ones, quickly: each input waits for the close.
 */
class FrontFuzzTest {
    /** read_timeout + exec_timeout + write_timeout, with room for a loaded machine. */
    private static final long HANG_LIMIT_MILLIS = 20_000;
    private static final Pattern STATUS_LINE = Pattern.compile("(?m)^HTTP/1\\.1 (\\d{3})[^\\r\\n]*\\r\\n((?:[^\\r\\n]+\\r\\n)*)");

    private static WatchdogFixture watchdog;

    @BeforeAll
    static void start() throws Exception {
        watchdog = WatchdogFixture.start(Map.of(
                "fprocess", "wc -c",
                "read_timeout", "100ms",
                "exec_timeout", "5s",
                "write_timeout", "5s",
                "max_header_size", "4Ki"));
    }

    @AfterAll
    static void stop() throws IOException {
        watchdog.close();
    }

    @FuzzTest
    // libFuzzer's dictionary syntax: bytes outside printable ASCII are written \xNN.
    @DictionaryEntries({"GET ", "POST ", "HEAD ", " HTTP/1.1\\x0D\\x0A", " HTTP/1.0\\x0D\\x0A", "\\x0D\\x0A", "\\x0A",
            "Host: x\\x0D\\x0A", "Content-Length: ", "Transfer-Encoding: chunked\\x0D\\x0A", "Transfer-Encoding: gzip, chunked",
            "Expect: 100-continue\\x0D\\x0A", "Connection: close\\x0D\\x0A", "Connection: keep-alive", "/_/health",
            "/_/ready", "0\\x0D\\x0A\\x0D\\x0A", "X-Call-Id: ", "Upgrade: websocket", "\\x09", "%00", "%zz",
            "Connection: Content-Length\\x0D\\x0A", "CONNECT ", " HTTP/2.0\\x0D\\x0A", " http/1.1", "http://x", "\\x1B",
            "\\xC3\\xA9", "\\xFF"})
    void answersArbitraryBytesWith4xxAFunctionResponseOrAClose(byte[] input) throws IOException {
        String received;
        // Jazzer's SSRF detector flags any connection; this test's only one is to its watchdog.
        try (SilentCloseable allowed = BugDetectors.allowNetworkConnections((host, port) -> port == watchdog.port())) {
            received = new String(RawConnection.sendUntilClosed(watchdog.port(), input, HANG_LIMIT_MILLIS),
                    StandardCharsets.ISO_8859_1);
        }
        Matcher status = STATUS_LINE.matcher(received);
        while (status.find()) {
            int code = Integer.parseInt(status.group(1));
            String headers = status.group(2).toLowerCase(Locale.ROOT);
            boolean internal = headers.contains("x-openfaas-internal: fwatchdog");
            // 501 (CONNECT) and 505 (another HTTP version) refuse what the request itself asks for.
            boolean refusal = internal && (code == 501 || code == 505);
            assertThat(code).as("status line %s answering %s", status.group(), RawConnection.printable(input))
                    .matches(c -> c >= 100 && c <= 499 || refusal, "a 1xx-4xx, or the watchdog's 501 or 505");
            if (code >= 400) {
                assertThat(internal).as("a rejection is marked as the watchdog's: %s", status.group()).isTrue();
            }
        }
    }
}
