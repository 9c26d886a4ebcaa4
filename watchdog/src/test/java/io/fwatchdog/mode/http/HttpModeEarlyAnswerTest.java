package io.fwatchdog.mode.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An upstream that answers before it has read the request body, and keeps the connection open:
 * that connection is out of step (the rest of the body would arrive as the next request), so
 * the watchdog must close it rather than reuse or forget it.
 */
class HttpModeEarlyAnswerTest {

    @Test
    void closesTheUpstreamConnectionOfAnAnswerGivenBeforeTheBodyWasSent() throws Exception {
        CompletableFuture<Void> upstreamSawEof = new CompletableFuture<>();
        try (ServerSocket upstream = new ServerSocket(0)) {
            Thread server = Thread.ofPlatform().daemon().start(() -> serve(upstream, upstreamSawEof));
            try (var w = WatchdogFixture.start(Map.of("mode", "http",
                    "upstream_url", "http://127.0.0.1:" + upstream.getLocalPort(), "exec_timeout", "10s"));
                    RawConnection c = w.connect()) {
                // Headers and a first chunk; the rest of the body never comes.
                c.send("POST /early HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");

                RawConnection.Response response = c.readResponse();

                assertThat(response.status()).isEqualTo(200);
                assertThat(response.text()).isEqualTo("early");
                upstreamSawEof.get(30, TimeUnit.SECONDS);
            }
            server.interrupt();
        }
    }

    /** Accepts connections (the readiness probe's too); answers /early at once, then waits for EOF. */
    private static void serve(ServerSocket upstream, CompletableFuture<Void> sawEof) {
        while (!sawEof.isDone()) {
            try {
                Socket socket = upstream.accept();
                Thread.ofPlatform().daemon().start(() -> answerEarly(socket, sawEof));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void answerEarly(Socket socket, CompletableFuture<Void> sawEof) {
        try (socket; InputStream in = socket.getInputStream()) {
            StringBuilder head = new StringBuilder();
            int b;
            while (!head.toString().endsWith("\r\n\r\n")) {
                if ((b = in.read()) < 0) {
                    return; // the readiness probe: connect, close
                }
                head.append((char) b);
            }
            if (!head.toString().startsWith("POST /early ")) {
                return;
            }
            socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly"
                    .getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            while (in.read() >= 0) {
                // the body's first chunk, then nothing until the watchdog closes the connection
            }
            sawEof.complete(null);
        } catch (IOException e) {
            sawEof.complete(null); // reset by the watchdog: closed as well
        }
    }
}
