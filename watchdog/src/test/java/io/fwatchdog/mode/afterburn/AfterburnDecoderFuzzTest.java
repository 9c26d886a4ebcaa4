package io.fwatchdog.mode.afterburn;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes the afterburn response decoder with arbitrary stdout: a process that writes each input
 * as its "response". Whatever it writes, the client gets an answer within a bound (the
 * function's own, when the bytes happen to be a valid response; else the watchdog's 502, or
 * 504 when the bytes stop short) or a cut connection, never a hang; and the next request is
 * served, by the same process or a fresh one. Buffers are checked by the paranoid leak detector.
 */
class AfterburnDecoderFuzzTest {
    private static final Duration ANSWER_LIMIT = Duration.ofSeconds(20);

    private static WatchdogFixture watchdog;

    @BeforeAll
    static void start() throws Exception {
        watchdog = Afterburn.start("python3 " + function("afterburn/parrot.py"), "exec_timeout", "1s", "write_timeout", "3s");
    }

    @AfterAll
    static void stop() throws IOException {
        watchdog.close();
    }

    @FuzzTest
    @DictionaryEntries({"HTTP/1.1 200 OK\\x0D\\x0A", "HTTP/1.1 ", "HTTP/1.0 ", "\\x0D\\x0A", "\\x0D\\x0A\\x0D\\x0A",
            "Content-Length: ", "Transfer-Encoding: chunked\\x0D\\x0A", "0\\x0D\\x0A\\x0D\\x0A", "Connection: close\\x0D\\x0A",
            "HTTP/1.1 100 Continue\\x0D\\x0A\\x0D\\x0A", "HTTP/1.1 101 Switching Protocols\\x0D\\x0A", "ffffffffffff\\x0D\\x0A"})
    void anyOutputEndsInAnAnswerAndAServingPool(byte[] stdout) throws Exception {
        try (SilentCloseable allowed = BugDetectors.allowNetworkConnections((host, port) -> port == watchdog.port())) {
            HttpResponse<byte[]> answer = send(stdout);
            if (answer != null && answer.headers().firstValue("x-openfaas-internal").isPresent()) {
                assertThat(answer.statusCode()).as("the watchdog's own answer").isIn(502, 504);
            }
            // The pool serves on: an empty "response" is no response, so this one is written by
            // the test itself and must come back as sent.
            HttpResponse<byte[]> next = send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes());
            assertThat(next).as("the request after the fuzzed one").isNotNull();
            assertThat(next.statusCode()).isEqualTo(200);
            assertThat(new String(next.body())).isEqualTo("ok");
        }
    }

    /** The answer to a request whose body the process writes back as its output; null when the connection was cut. */
    private static HttpResponse<byte[]> send(byte[] output) throws Exception {
        try {
            return watchdog.client.send(HttpRequest.newBuilder(watchdog.uri("/")).timeout(ANSWER_LIMIT)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(output)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException hung) {
            return fail("no answer within %s", ANSWER_LIMIT);
        } catch (IOException cut) {
            return null; // a response cut after its head: the contract's way to fail a started response
        }
    }
}
