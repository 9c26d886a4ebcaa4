package io.fwatchdog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.WatchdogProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A watchdog that runs out of file descriptors: a process of its own under a low
 * {@code RLIMIT_NOFILE}, held at the limit by idle connections from this test. Accepting fails
 * with EMFILE meanwhile; once the connections go, both listeners accept again and the watchdog
 * is healthy as before.
 */
class DescriptorExhaustionTest {
    private static final int LIMIT = 256;
    private static final Duration LIMIT_WAIT = Duration.ofSeconds(60);

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void acceptsAgainOnBothPortsOnceDescriptorsAreFree() throws Exception {
        assumeThat(Stream.of(System.getenv("PATH").split(":")).anyMatch(dir -> Files.isExecutable(Path.of(dir, "prlimit"))))
                .as("util-linux prlimit on PATH").isTrue();
        int metricsPort;
        try (ServerSocket free = new ServerSocket(0)) {
            metricsPort = free.getLocalPort();
        }
        try (var w = WatchdogProcess.start(List.of("prlimit", "--nofile=" + LIMIT + ":" + LIMIT, "--"),
                Map.of("metrics_port", String.valueOf(metricsPort), "read_timeout", "5m"), "--port", "0", "--", "cat")) {
            w.awaitHealthy();
            int port = w.port();
            // Served once before: what serving needs is loaded while descriptors are plentiful.
            assertThat(post(port, "before").body()).isEqualTo("before");
            assertThat(get(metricsPort, "/metrics").statusCode()).isEqualTo(200);

            List<Socket> idle = new ArrayList<>();
            Socket pendingScrape;
            try {
                // Up to twice the limit: the watchdog can hold at most LIMIT descriptors, so accepting
                // fails before the last of these, which wait in the backlog.
                String mainFailure = "cannot accept connections on port " + port;
                for (int i = 0; i < 2 * LIMIT && !w.output().contains(mainFailure); i++) {
                    idle.add(connect(port));
                }
                w.awaitOutput(mainFailure, LIMIT_WAIT);
                Processes.await(LIMIT_WAIT, () -> openFiles(w.process.pid()) >= LIMIT);
                pendingScrape = connect(metricsPort);
                pendingScrape.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                w.awaitOutput("cannot accept connections on metrics_port " + metricsPort, LIMIT_WAIT);
            } finally {
                for (Socket socket : idle) {
                    socket.close();
                }
            }

            try (pendingScrape) {
                assertThat(readAll(pendingScrape)).as("the scrape that waited").startsWith("HTTP/1.1 200 OK");
            }
            assertThat(post(port, "after").body()).isEqualTo("after");
            assertThat(get(port, "/_/health").statusCode()).isEqualTo(200);
            assertThat(get(metricsPort, "/metrics").statusCode()).isEqualTo(200);
            assertThat(w.tmp.resolve(".lock")).exists();
            assertThat(w.stop(Duration.ofSeconds(30))).isZero();
        }
    }

    private HttpResponse<String> post(int port, String body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(30_000);
        return socket;
    }

    private static String readAll(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    private static long openFiles(long pid) {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        } catch (IOException e) {
            return -1;
        }
    }
}
