package io.fwatchdog.server;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Clients that try to confuse or exhaust the front: request smuggling vectors, oversize heads,
 * slowloris, a reader that stalls on a large response, and ten thousand idle connections.
 */
class HostileClientTest {
    private static final String HEAD = "POST / HTTP/1.1\r\nHost: x\r\n";

    static Stream<Arguments> smugglingVectors() {
        return Stream.of(
                Arguments.of("two equal Content-Lengths", HEAD + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
                Arguments.of("two different Content-Lengths", HEAD + "Content-Length: 5\r\nContent-Length: 4\r\n\r\nhello"),
                Arguments.of("a Content-Length list", HEAD + "Content-Length: 5, 5\r\n\r\nhello"),
                Arguments.of("a signed Content-Length", HEAD + "Content-Length: +5\r\n\r\nhello"),
                Arguments.of("Content-Length with chunked", HEAD + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("a folded Transfer-Encoding", HEAD + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("a bare LF ending the head", "POST / HTTP/1.1\nHost: x\nContent-Length: 0\n\n"),
                Arguments.of("a bare CR inside a header", HEAD + "X-A: 1\rX-B: 2\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("a chunk size over 2^31", HEAD + "Transfer-Encoding: chunked\r\n\r\n80000005\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("a chunk size over 2^64", HEAD + "Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("a negative chunk size", HEAD + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("a chunk header ended by a bare LF", HEAD + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"),
                Arguments.of("gzip before chunked", HEAD + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("gzip then chunked on two lines", HEAD + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("chunked before gzip", HEAD + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"),
                Arguments.of("gzip alone", HEAD + "Transfer-Encoding: gzip\r\n\r\nhello"),
                Arguments.of("chunked twice", HEAD + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("a space before the colon", HEAD + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("a tab before the colon", HEAD + "Content-Length\t: 5\r\n\r\nhello"),
                Arguments.of("two Host headers", "POST / HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 0\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("smugglingVectors")
    void rejectsASmugglingVectorWith400AndClosesWithoutRunningTheFunction(String vector, String request) throws Exception {
        Path marker = Files.createTempDirectory("smuggle").resolve("ran");
        try (var w = WatchdogFixture.start(Map.of("mode", "serializing", "fprocess", "touch " + marker));
                RawConnection c = w.connect()) {
            // A request that would be served follows: a smuggled second request must not be.
            c.send(request + "GET / HTTP/1.1\r\nHost: x\r\n\r\n");

            RawConnection.Response response = c.readResponse();
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.header("x-openfaas-internal")).isEqualTo("fwatchdog");
            assertThat(response.text()).startsWith("malformed request");
            assertThat(c.closedByServer()).isTrue();
            assertThat(marker).doesNotExist();
        }
    }

    @Test
    void unfoldsAnObsoleteLineFoldingIntoSpacesBeforeTheFunctionSeesIt() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("env.sh"))); RawConnection c = w.connect()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Folded: one\r\n two\r\n\r\n");

            RawConnection.Response response = c.readResponse();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.text().lines()).contains("Http_X_Folded=one two");
        }
    }

    @Test
    void answers414ToARequestLineOver16KiBAndCloses() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat")); RawConnection c = w.connect()) {
            c.send("GET /" + "a".repeat(17 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n");

            RawConnection.Response response = c.readResponse();
            assertThat(response.status()).isEqualTo(414);
            assertThat(response.header("x-openfaas-internal")).isEqualTo("fwatchdog");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void answers431ToManySmallHeadersThatTogetherExceedMaxHeaderSize() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat", "max_header_size", "4Ki")); RawConnection c = w.connect()) {
            StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n");
            for (int i = 0; i < 500; i++) {
                head.append("X-H").append(i).append(": v\r\n");
            }
            c.send(head.append("\r\n").toString());

            RawConnection.Response response = c.readResponse();
            assertThat(response.status()).isEqualTo(431);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void closesASlowlorisConnectionAfterReadTimeoutWhileServingOthers() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat", "read_timeout", "2s"));
                Socket slow = new Socket()) {
            slow.connect(new InetSocketAddress("127.0.0.1", w.port()), 10_000);
            AtomicBoolean stop = new AtomicBoolean();
            long started = System.nanoTime();
            // Headers a byte a second, never finished.
            CompletableFuture<Void> dribble = CompletableFuture.runAsync(() -> {
                byte[] head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        .getBytes(StandardCharsets.US_ASCII);
                try {
                    OutputStream out = slow.getOutputStream();
                    for (int i = 0; i < head.length && !stop.get(); i++) {
                        out.write(head[i]);
                        out.flush();
                        Thread.sleep(1000);
                    }
                } catch (IOException | InterruptedException closed) {
                    // the watchdog closed it: expected
                }
            });
            try {
                for (int i = 0; i < 5; i++) {
                    HttpResponse<String> served = w.post("/", "meanwhile " + i);
                    assertThat(served.statusCode()).isEqualTo(200);
                    assertThat(served.body()).isEqualTo("meanwhile " + i);
                }
                slow.setSoTimeout(60_000);
                assertThat(slow.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertThat(millis).as("not closed before read_timeout").isGreaterThanOrEqualTo(1900);
            } finally {
                stop.set(true);
                dribble.get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void holdsLittleMemoryForAClientThatStallsReadingALargeResponse() throws Exception {
        long total = 512L << 20;
        ByteBufAllocatorMetric memory = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        try (var w = WatchdogFixture.start(Map.of("fprocess", "head -c " + total + " /dev/zero", "write_timeout", "120s"));
                Socket client = new Socket()) {
            client.setReceiveBufferSize(64 * 1024);
            client.connect(new InetSocketAddress("127.0.0.1", w.port()), 10_000);
            client.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = client.getInputStream();
            long before = used(memory);
            long read = 0;
            long peak = 0;
            byte[] buffer = new byte[64 * 1024];
            // Read a little, stall for a few seconds while the function could write far more, twice.
            for (int stall = 0; stall < 2; stall++) {
                read += readAtMost(in, buffer, 4L << 20);
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                while (System.nanoTime() < until) {
                    peak = Math.max(peak, used(memory));
                    Thread.sleep(50);
                }
            }
            read += readAtMost(in, buffer, Long.MAX_VALUE);

            // Body plus the chunk framing and head: every byte arrived once the client read on.
            assertThat(read).isGreaterThan(total);
            assertThat(peak - before).as("buffer memory held for the stalled client").isLessThan(32L << 20);
        }
    }

    /**
     * Ten thousand kept-alive connections, held by a client process of their own (this JVM's file
     * limit then only has to cover the watchdog's side), cost buffer memory in proportion and
     * nothing else: new requests and the idle connections themselves are still served.
     */
    @Test
    void servesOthersWhileTenThousandKeptAliveConnectionsIdle() throws Exception {
        int connections = 10_000;
        assumeThat(openFileLimit() - openFiles() - 1000).as("file descriptors for the idle connections")
                .isGreaterThanOrEqualTo(connections);
        ByteBufAllocatorMetric memory = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat", "read_timeout", "5m"))) {
            long before = used(memory);
            Process clients = new ProcessBuilder("python3", clientScript("idle_connections.py"),
                    String.valueOf(w.port()), String.valueOf(connections))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (var commands = clients.outputWriter(StandardCharsets.UTF_8);
                    var answers = clients.inputReader(StandardCharsets.UTF_8)) {
                assertThat(lineWithin(answers, 180)).isEqualTo("open " + connections);
                long perConnection = (used(memory) - before) / connections;

                for (int i = 0; i < 5; i++) {
                    assertThat(w.post("/", "busy " + i).body()).isEqualTo("busy " + i);
                }
                for (int i : List.of(0, connections / 2, connections - 1)) {
                    commands.write(i + "\n");
                    commands.flush();
                    assertThat(lineWithin(answers, 60)).as("idle connection %d still serves", i).isEqualTo("200 back");
                }
                assertThat(perConnection).as("buffer bytes held per idle connection").isLessThan(4096);
            } finally {
                clients.destroyForcibly().waitFor();
            }
        }
    }

    private static String lineWithin(java.io.BufferedReader in, long seconds) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return in.readLine();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(seconds, TimeUnit.SECONDS);
    }

    private static String clientScript(String name) throws java.net.URISyntaxException {
        return Path.of(HostileClientTest.class.getResource("/clients/" + name).toURI()).toString();
    }

    private static long used(ByteBufAllocatorMetric memory) {
        return memory.usedDirectMemory() + memory.usedHeapMemory();
    }

    private static long readAtMost(InputStream in, byte[] buffer, long limit) throws IOException {
        long read = 0;
        while (read < limit) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - read));
            if (n < 0) {
                break;
            }
            read += n;
        }
        return read;
    }

    private static long openFiles() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static long openFileLimit() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/limits")).stream()
                .filter(line -> line.startsWith("Max open files"))
                .map(line -> line.split("\\s+")[3])
                .mapToLong(Long::parseLong)
                .findFirst()
                .orElse(1024);
    }
}
