package io.fwatchdog.mode.fork;

import static io.fwatchdog.testing.WatchdogFixture.function;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.testing.Processes;
import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class StreamingModeTest {

    @Test
    void echoesTheRequestBodyThroughCat() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat"))) {
            HttpResponse<String> response = w.post("/", "hello, function");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("hello, function");
            assertThat(response.headers().firstValue("content-type")).hasValue("application/octet-stream");
            assertThat(response.headers().firstValue("transfer-encoding")).hasValue("chunked");
            assertThat(response.headers().firstValue("x-duration-seconds")).isEmpty();
        }
    }

    @Test
    void setsTheConfiguredContentType() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat", "content_type", "application/json"))) {
            assertThat(w.post("/", "{}").headers().firstValue("content-type")).hasValue("application/json");
        }
    }

    @Test
    void answers200WithAnEmptyBodyWhenTheFunctionSucceedsSilently() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "true"))) {
            HttpResponse<String> response = w.get("/");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEmpty();
        }
    }

    @Test
    void returns500WithTheExitStatusWhenTheFunctionFailsBeforeWriting() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("fail.sh")))) {
            HttpResponse<String> response = w.post("/", "in");

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.body()).isEqualTo("function exited with status 3\n");
            assertThat(response.headers().firstValue("x-openfaas-internal")).hasValue("fwatchdog");
            assertThat(response.headers().firstValue("content-type")).hasValue("text/plain");
        }
    }

    @Test
    void cutsTheResponseWhenTheFunctionFailsAfterWriting() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("fail.sh")));
                RawConnection c = w.connect()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nX-Output: partial\r\nContent-Length: 2\r\n\r\nin");

            RawConnection.Response response = c.readResponse();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.text()).isEqualTo("partial");
            assertThat(response.complete()).as("final chunk sent").isFalse();
        }
    }

    @Test
    void returns500WhenTheCommandCannotBeStarted() throws Exception {
        Path script = Files.createTempFile("vanishing", ".sh");
        Files.writeString(script, "#!/bin/sh\necho hi\n");
        script.toFile().setExecutable(true);
        try (var w = WatchdogFixture.start(Map.of("fprocess", script.toString()))) {
            Files.delete(script);

            HttpResponse<String> response = w.get("/");

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.body()).startsWith("function could not be started");
        }
    }

    @Test
    void returns504WhenTheFunctionExceedsExecTimeout() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sleep 30", "exec_timeout", "500ms"))) {
            HttpResponse<String> response = w.get("/");

            assertThat(response.statusCode()).isEqualTo(504);
            assertThat(response.body()).contains("exec_timeout (500ms)");
        }
    }

    @Test
    void endsTheWholeProcessTreeOnTimeout() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("grandchild.sh"), "exec_timeout", "1s"))) {
            Path pidFile = w.tmp.resolve("grandchild.pid");
            HttpResponse<String> response = w.client.send(java.net.http.HttpRequest.newBuilder(w.uri("/"))
                    .header("X-Pid-File", pidFile.toString()).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(504);
            long grandchild = Processes.awaitPid(pidFile);
            Processes.await(Duration.ofSeconds(10), () -> !Processes.exists(grandchild));
        }
    }

    @Test
    void endsTheProcessTreeWhenTheClientGoesAway() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("hold.sh")))) {
            Path pidFile = w.tmp.resolve("hold.pid");
            long pid;
            try (RawConnection c = w.connect()) {
                c.send("POST / HTTP/1.1\r\nHost: x\r\nX-Pid-File: " + pidFile + "\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
                pid = Processes.awaitPid(pidFile);
                assertThat(Processes.exists(pid)).isTrue();
            }
            Processes.await(Duration.ofSeconds(10), () -> !Processes.exists(pid));
        }
    }

    @Test
    void completesAFunctionThatWritesTenMebibytesToStderrWithoutANewline() throws Exception {
        try (var w = WatchdogFixture.start(Map.of("fprocess", "python3 " + function("stderr-flood.py")))) {
            HttpResponse<String> response = w.get("/");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("done");
        }
    }

    @Test
    void keepsTheWholeInputWhenTheFunctionAnswersBeforeReadingIt() throws Exception {
        byte[] body = new byte[8 * 1024 * 1024];
        new java.util.Random(7).nextBytes(body);
        try (var w = WatchdogFixture.start(Map.of("fprocess", "sh " + function("early-answer.sh")));
                Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", w.port()));
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < body.length; i += 65536) {
                        out.write(body, i, Math.min(65536, body.length - i));
                    }
                    out.flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            byte[] raw = in.readAllBytes();
            upload.join();

            byte[] decoded = dechunk(raw);
            byte[] expected = concat("ready\n".getBytes(StandardCharsets.US_ASCII), body);
            assertThat(decoded.length).isEqualTo(expected.length);
            assertThat(Arrays.equals(decoded, expected)).isTrue();
        }
    }

    @Test
    void streamsOneGibibyteThroughCatWithAHeapFarSmallerThanTheBody() throws Exception {
        long size = 1L << 30;
        assertThat(Runtime.getRuntime().maxMemory()).isLessThan(size / 2);
        try (var w = WatchdogFixture.start(Map.of("fprocess", "cat", "exec_timeout", "0", "read_timeout", "5m", "write_timeout", "5m"));
                Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", w.port()));
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + size + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
                try {
                    byte[] block = new byte[1 << 16];
                    java.util.Random random = new java.util.Random(1);
                    for (long written = 0; written < size; written += block.length) {
                        random.nextBytes(block);
                        sent.update(block);
                        out.write(block);
                    }
                    out.flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });

            MessageDigest received = MessageDigest.getInstance("SHA-256");
            long bodyBytes = ChunkedReader.readChunkedBody(in, received);
            upload.join();

            assertThat(bodyBytes).isEqualTo(size);
            assertThat(received.digest()).isEqualTo(sent.digest());
        }
    }

    static byte[] dechunk(byte[] raw) throws java.io.IOException {
        InputStream in = new java.io.ByteArrayInputStream(raw);
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        ChunkedReader.readChunkedBody(in, body::write);
        return body.toByteArray();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
