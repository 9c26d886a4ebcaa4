package io.fwatchdog.mode.statics;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** static mode through real HTTP: files, validators, ranges, and no way out of the root. */
class StaticModeTest {
    private static final String INDEX = "<h1>home</h1>\n";
    private static final String TEXT = "0123456789abcdefghij";
    private static final String MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT";

    @TempDir
    static Path dir;
    static Path root;
    static WatchdogFixture w;

    @BeforeAll
    static void serve() throws Exception {
        root = Files.createDirectories(dir.resolve("public"));
        Files.writeString(dir.resolve("secret.txt"), "SECRET");
        Files.writeString(root.resolve("index.html"), INDEX);
        Path text = Files.writeString(root.resolve("text.txt"), TEXT);
        Files.setLastModifiedTime(text, FileTime.from(Instant.parse("2026-12-01T10:00:00Z")));
        Files.write(root.resolve("blob"), new byte[] {1, 2, 3});
        Files.write(root.resolve("app.wasm"), new byte[] {0, 'a', 's', 'm'});
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/index.html"), "docs");
        Files.createDirectories(root.resolve("empty"));
        Files.createDirectories(root.resolve("sub"));
        Files.createSymbolicLink(root.resolve("out"), dir.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("outdir"), dir);
        Files.createSymbolicLink(root.resolve("inside.txt"), root.resolve("text.txt"));
        w = WatchdogFixture.start(Map.of("mode", "static", "static_path", root.toString(), "write_timeout", "5m"));
    }

    @AfterAll
    static void stop() throws IOException {
        w.close();
    }

    private static RawConnection.Response get(String target, String... headers) throws IOException {
        try (RawConnection c = w.connect()) {
            return c.send(request("GET", target, headers)).readResponse();
        }
    }

    private static String request(String method, String target, String... headers) {
        StringBuilder request = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: x\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        return request.append("\r\n").toString();
    }

    @Test
    void servesAFileWithItsTypeLengthAndValidators() throws IOException {
        RawConnection.Response response = get("/text.txt");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).isEqualTo(TEXT);
        assertThat(response.header("content-type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(response.header("content-length")).isEqualTo("20");
        assertThat(response.header("last-modified")).isEqualTo(MODIFIED);
        assertThat(response.header("etag")).matches("\"[0-9a-f]+-[0-9a-f]+\"");
        assertThat(response.header("accept-ranges")).isEqualTo("bytes");
        assertThat(response.header("cache-control")).isEqualTo("no-cache");
    }

    @Test
    void typesByExtensionAndUnknownAsOctetStream() throws IOException {
        assertThat(get("/index.html").header("content-type")).isEqualTo("text/html; charset=utf-8");
        assertThat(get("/app.wasm").header("content-type")).isEqualTo("application/wasm");
        assertThat(get("/blob").header("content-type")).isEqualTo("application/octet-stream");
    }

    @Test
    void headAnswersTheHeadersOfGetWithoutABody() throws IOException {
        try (Socket socket = open()) {
            socket.getOutputStream().write(request("HEAD", "/text.txt").getBytes(StandardCharsets.US_ASCII));
            String head = readHead(socket.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 200").contains("content-length: 20");

            // Had any body byte followed the head, it would be read here in place of the next response.
            socket.getOutputStream().write(request("GET", "/blob").getBytes(StandardCharsets.US_ASCII));
            assertThat(readHead(socket.getInputStream())).startsWith("HTTP/1.1 200").contains("content-length: 3");
            assertThat(socket.getInputStream().readNBytes(3)).containsExactly(1, 2, 3);
        }
    }

    private static Socket open() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", w.port()), 10_000);
        socket.setSoTimeout(60_000);
        return socket;
    }

    @Test
    void servesIndexHtmlForADirectory() throws IOException {
        assertThat(get("/").text()).isEqualTo(INDEX);
        assertThat(get("/docs/").text()).isEqualTo("docs");
    }

    @Test
    void redirectsADirectoryWithoutTheSlashKeepingTheQuery() throws IOException {
        RawConnection.Response response = get("/docs?page=2&x=%20");

        assertThat(response.status()).isEqualTo(301);
        assertThat(response.header("location")).isEqualTo("/docs/?page=2&x=%20");
    }

    @Test
    void redirectsWithEveryByteOutsideVisibleAsciiPercentEncoded() throws IOException {
        try (RawConnection c = w.connect()) {
            // U+00E9 and U+2603 as UTF-8 on the wire, one char per byte here
            RawConnection.Response response = c.send("GET /docs?a=\u00c3\u00a9\u00e2\u0098\u0083\"b HTTP/1.1\r\nHost: x\r\n\r\n")
                    .readResponse();

            assertThat(response.status()).isEqualTo(301);
            assertThat(response.header("location")).isEqualTo("/docs/?a=%C3%A9%E2%98%83\"b");
        }
    }

    @Test
    void neverRedirectsToAnotherHost() throws IOException {
        RawConnection.Response response = get("//docs");

        assertThat(response.status()).isEqualTo(301);
        assertThat(response.header("location")).isEqualTo("/docs/");
    }

    @Test
    void answers404ForADirectoryWithoutIndexAndListsNothing() throws IOException {
        RawConnection.Response response = get("/empty/");

        assertThat(response.status()).isEqualTo(404);
        assertThat(get("/sub/").status()).isEqualTo(404);
        assertThat(get("/nope.txt").status()).isEqualTo(404);
    }

    @Test
    void refusesOtherMethodsWith405NamingTheAllowedOnes() throws IOException {
        try (RawConnection c = w.connect()) {
            RawConnection.Response response = c.send("POST /text.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
                    .readResponse();

            assertThat(response.status()).isEqualTo(405);
            assertThat(response.header("allow")).isEqualTo("GET, HEAD");
        }
        assertThat(get("/text.txt").status()).isEqualTo(200);
    }

    @Test
    void followsASymlinkThatStaysInsideTheRoot() throws IOException {
        assertThat(get("/inside.txt").text()).isEqualTo(TEXT);
    }

    @Test
    void answers304ToIfModifiedSinceAtOrAfterTheModification() throws IOException {
        RawConnection.Response response = get("/text.txt", "If-Modified-Since: " + MODIFIED);

        assertThat(response.status()).isEqualTo(304);
        assertThat(response.body()).isEmpty();
        assertThat(response.header("etag")).isNotNull();
        assertThat(get("/text.txt", "If-Modified-Since: Mon, 30 Nov 2026 10:00:00 GMT").status()).isEqualTo(200);
        assertThat(get("/text.txt", "If-Modified-Since: not a date").status()).isEqualTo(200);
    }

    @Test
    void answers304ToAMatchingIfNoneMatchWeakOrStrong() throws IOException {
        String etag = get("/text.txt").header("etag");

        assertThat(get("/text.txt", "If-None-Match: " + etag).status()).isEqualTo(304);
        assertThat(get("/text.txt", "If-None-Match: \"other\", W/" + etag).status()).isEqualTo(304);
        assertThat(get("/text.txt", "If-None-Match: *").status()).isEqualTo(304);
    }

    @Test
    void ifNoneMatchTakesPrecedenceOverIfModifiedSince() throws IOException {
        RawConnection.Response response = get("/text.txt", "If-None-Match: \"stale\"", "If-Modified-Since: " + MODIFIED);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.text()).isEqualTo(TEXT);
    }

    @Test
    void servesASingleRangeAs206() throws IOException {
        RawConnection.Response response = get("/text.txt", "Range: bytes=2-5");

        assertThat(response.status()).isEqualTo(206);
        assertThat(response.text()).isEqualTo("2345");
        assertThat(response.header("content-range")).isEqualTo("bytes 2-5/20");
        assertThat(response.header("content-length")).isEqualTo("4");
    }

    @Test
    void servesSuffixAndOpenRangesClampedToTheFile() throws IOException {
        assertThat(get("/text.txt", "Range: bytes=-3").text()).isEqualTo("hij");
        assertThat(get("/text.txt", "Range: bytes=15-").text()).isEqualTo("fghij");
        RawConnection.Response clamped = get("/text.txt", "Range: bytes=18-1000");
        assertThat(clamped.header("content-range")).isEqualTo("bytes 18-19/20");
        assertThat(clamped.text()).isEqualTo("ij");
    }

    @Test
    void answers416WithTheLengthForARangeBeyondTheEnd() throws IOException {
        RawConnection.Response response = get("/text.txt", "Range: bytes=20-30");

        assertThat(response.status()).isEqualTo(416);
        assertThat(response.header("content-range")).isEqualTo("bytes */20");
    }

    @Test
    void servesTheWholeFileForSeveralRangesOrAnUnparsableOne() throws IOException {
        RawConnection.Response several = get("/text.txt", "Range: bytes=0-1,5-6");
        assertThat(several.status()).isEqualTo(200);
        assertThat(several.text()).isEqualTo(TEXT);
        assertThat(get("/text.txt", "Range: bytes=5-2").status()).isEqualTo(200);
        assertThat(get("/text.txt", "Range: lines=1-2").status()).isEqualTo(200);
        assertThat(get("/text.txt", "Range: bytes=+1-2").status()).isEqualTo(200);
    }

    @Test
    void ignoresTheRangeWhenIfRangeNamesAnotherVersion() throws IOException {
        String etag = get("/text.txt").header("etag");

        assertThat(get("/text.txt", "Range: bytes=0-0", "If-Range: " + etag).status()).isEqualTo(206);
        assertThat(get("/text.txt", "Range: bytes=0-0", "If-Range: \"old\"").status()).isEqualTo(200);
        assertThat(get("/text.txt", "Range: bytes=0-0", "If-Range: " + MODIFIED).status()).isEqualTo(206);
    }

    @Test
    void keepsTheProbesOfEveryMode() throws IOException, InterruptedException {
        assertThat(w.get("/_/health").statusCode()).isEqualTo(200);
        assertThat(w.get("/_/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void countsItsRequestsInTheMetricsLikeEveryMode() throws Exception {
        try (var metered = WatchdogFixture.startWithMetrics(Map.of("mode", "static", "static_path", root.toString()))) {
            assertThat(metered.get("/text.txt").statusCode()).isEqualTo(200);
            assertThat(metered.get("/nope").statusCode()).isEqualTo(404);

            Processes.await(Duration.ofSeconds(30), () -> {
                try {
                    String text = metered.scrape();
                    return text.contains("http_requests_total{code=\"200\",method=\"get\"} 1.0")
                            && text.contains("http_requests_total{code=\"404\",method=\"get\"} 1.0");
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
        }
    }

    static Stream<String> hostilePaths() {
        String secret = dir.resolve("secret.txt").toString();
        return Stream.of(
                "/../secret.txt", "/../../../../../../etc/passwd", "/sub/../../secret.txt", "/./../secret.txt",
                "//../secret.txt", "/..%2fsecret.txt", "/..%2Fsecret.txt", "/%2e%2e/secret.txt",
                "/%2E%2E/secret.txt", "/%2e%2e%2fsecret.txt", "/.%2e/secret.txt", "/%2e./secret.txt",
                "/sub/..%2f..%2fsecret.txt", "/%2f..%2fsecret.txt", "/..%5csecret.txt", "/%5c..%5csecret.txt",
                "/%2e%2e%5csecret.txt", "/..\\secret.txt", "/sub\\..\\..\\secret.txt", "/%252e%252e/secret.txt",
                "/%252e%252e%252fsecret.txt", "/..%252fsecret.txt", "/%25%32%65%25%32%65/secret.txt",
                "/%c0%ae%c0%ae/secret.txt", "/..%c0%afsecret.txt", "/%e0%80%ae%e0%80%ae/secret.txt",
                "/..%ef%bc%8fsecret.txt", "/%u002e%u002e/secret.txt", "/secret.txt%00.html", "/index.html%00",
                "/%00", "/.%00./secret.txt", "/out", "/outdir/secret.txt", "/outdir/", "/outdir",
                "/" + secret, "/" + secret.substring(1), "http://x/../secret.txt", "/..;/secret.txt",
                "/%2e%2e", "/..", "/.", "/%", "/%2", "/%zz");
    }

    @Test
    void answers400ToATargetThatIsNotAPath() throws IOException {
        RawConnection.Response response = get("*");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.text()).doesNotContain("SECRET");
    }

    @ParameterizedTest
    @MethodSource("hostilePaths")
    void answers404ToAPathThatWouldLeaveTheRoot(String target) throws IOException {
        RawConnection.Response response = get(target);

        assertThat(response.status()).as(target).isEqualTo(404);
        assertThat(response.text()).doesNotContain("SECRET").doesNotContain("root:");
    }

    @Test
    void servesAGibibyteSparseFileWithFlatMemoryAndEveryByte() throws Exception {
        Path big = root.resolve("big.bin");
        long length = (1L << 30) + 17;
        try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(length);
            file.seek(length - 1);
            file.write('!');
        }
        try {
            long rssBefore = rssKib();
            long maxRss = rssBefore;
            try (Socket socket = open()) {
                socket.getOutputStream().write(request("GET", "/big.bin").getBytes(StandardCharsets.US_ASCII));
                InputStream in = socket.getInputStream();
                String head = readHead(in);
                assertThat(head).startsWith("HTTP/1.1 200").contains("content-length: " + length);
                byte[] buffer = new byte[1 << 16];
                long received = 0;
                int last = -1;
                int n;
                while (received < length && (n = in.read(buffer)) > 0) {
                    received += n;
                    last = buffer[n - 1];
                    if ((received & ((64 << 20) - 1)) < n) {
                        maxRss = Math.max(maxRss, rssKib());
                    }
                }
                assertThat(received).isEqualTo(length);
                assertThat(last).isEqualTo('!');
            }
            maxRss = Math.max(maxRss, rssKib());
            assertThat((maxRss - rssBefore) / 1024).as("RSS growth in MiB while serving 1 GiB").isLessThan(200);

            RawConnection.Response tail = get("/big.bin", "Range: bytes=" + (length - 2) + "-");
            assertThat(tail.status()).isEqualTo(206);
            assertThat(tail.body()).containsExactly(0, '!');
        } finally {
            awaitNoDescriptorFor(big);
            Files.delete(big);
        }
    }

    @Test
    void closesTheFileOnEveryPathAClientAbortIncluded() throws Exception {
        Path big = root.resolve("abort.bin");
        try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(256L << 20);
        }
        try {
            for (int i = 0; i < 5; i++) {
                try (Socket socket = open()) {
                    OutputStream out = socket.getOutputStream();
                    out.write(request("GET", "/abort.bin").getBytes(StandardCharsets.US_ASCII));
                    assertThat(readHead(socket.getInputStream())).startsWith("HTTP/1.1 200");
                    socket.getInputStream().readNBytes(1 << 20);
                } // closed mid-body
            }
            for (int i = 0; i < 20; i++) {
                assertThat(get("/abort.bin", "Range: bytes=" + i + "-" + (i + 10)).status()).isEqualTo(206);
                assertThat(get("/abort.bin", "If-None-Match: *").status()).isEqualTo(304);
                try (Socket socket = open()) {
                    socket.getOutputStream().write(request("HEAD", "/abort.bin").getBytes(StandardCharsets.US_ASCII));
                    assertThat(readHead(socket.getInputStream())).startsWith("HTTP/1.1 200");
                }
            }

            awaitNoDescriptorFor(big);
        } finally {
            awaitNoDescriptorFor(big);
            Files.delete(big);
        }
    }

    @Test
    void aDownloadThatOutlastsReadTimeoutIsNotCut() throws Exception {
        Path big = sparse("long.bin", 64L << 20);
        try (var quick = WatchdogFixture.start(Map.of("mode", "static", "static_path", root.toString(),
                "read_timeout", "1s", "write_timeout", "5m"));
                Socket socket = new Socket("127.0.0.1", quick.port())) {
            socket.getOutputStream().write(request("GET", "/long.bin").getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            assertThat(readHead(in)).startsWith("HTTP/1.1 200");
            // The client reads slowly: read_timeout bounds receiving the request, not the response.
            long received = 0;
            long slowUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            byte[] buffer = new byte[1 << 16];
            int n;
            while (received < big.toFile().length() && (n = in.read(buffer)) > 0) {
                received += n;
                if (System.nanoTime() < slowUntil) {
                    Thread.sleep(20); // the client's pace, not a wait for the watchdog
                }
            }
            assertThat(received).isEqualTo(64L << 20);
        } finally {
            awaitNoDescriptorFor(big);
            Files.delete(big);
        }
    }

    @Test
    void aDownloadCutByWriteTimeoutIsCountedOnceAndFreesItsSlot() throws Exception {
        Path big = sparse("stalled.bin", 1L << 30);
        try (var metered = WatchdogFixture.startWithMetrics(Map.of("mode", "static", "static_path", root.toString(),
                "write_timeout", "1s", "max_inflight", "1"))) {
            try (RawConnection stalled = metered.connect()) {
                stalled.send(request("GET", "/stalled.bin"));
                stalled.setReadTimeout(30_000);
                Processes.await(Duration.ofSeconds(30), () -> {
                    try {
                        return metered.scrape().contains("http_requests_total{code=\"200\",method=\"get\"}");
                    } catch (IOException | InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
            }
            String text = metered.scrape();
            assertThat(text).contains("http_requests_total{code=\"200\",method=\"get\"} 1.0")
                    .contains("http_requests_in_flight 0.0");
            // The slot came back once: one request at a time is still admitted, two are not.
            assertThat(metered.get("/text.txt").statusCode()).isEqualTo(200);
            try (RawConnection first = metered.connect(); RawConnection second = metered.connect()) {
                first.send(request("GET", "/stalled.bin"));
                Processes.await(Duration.ofSeconds(30), () -> {
                    try {
                        return metered.scrape().contains("http_requests_in_flight 1.0");
                    } catch (IOException | InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
                assertThat(second.send(request("GET", "/text.txt")).readResponse().status()).isEqualTo(429);
            }
        } finally {
            awaitNoDescriptorFor(big);
            Files.delete(big);
        }
    }

    private static Path sparse(String name, long length) throws IOException {
        Path file = root.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(length);
        }
        return file;
    }

    /** Waits until no descriptor of this JVM (the watchdog's process) refers to {@code file}. */
    private static void awaitNoDescriptorFor(Path file) throws InterruptedException {
        Processes.await(Duration.ofSeconds(30), () -> openDescriptors(file) == 0);
    }

    private static long openDescriptors(Path file) {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(file.toRealPath());
                } catch (IOException e) {
                    return false; // closed while we looked
                }
            }).count();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static long rssKib() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(line -> line.startsWith("VmRSS:"))
                .mapToLong(line -> Long.parseLong(line.replaceAll("\\D", "")))
                .findFirst().orElseThrow();
    }

    /** The status line and headers, lower-cased, read byte by byte so no body byte is taken. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed in the head: " + head);
            }
            head.append((char) b);
        }
        return head.toString().toLowerCase(java.util.Locale.ROOT).replace("http/1.1", "HTTP/1.1");
    }
}
