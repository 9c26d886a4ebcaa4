package io.fwatchdog.mode.statics;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.fwatchdog.testing.RawConnection;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes the request target in static mode against a real watchdog, with secrets placed where
 * a path mistake would reach them: beside the root, in a sibling directory whose name starts
 * with the root's (the classic string-prefix check), and behind symlinks inside the root that
 * point out of it. Whatever the target, no secret byte is ever sent, a 200 or 206 carries
 * (part of) a file that really is under the root, and the watchdog answers, without a 5xx of its
 * own, before it closes the connection.
 *
 * <p>The first input byte picks the method (GET or HEAD) and whether a Range header is sent; the
 * rest is the request target, written as is into the request line.
 */
class StaticPathFuzzTest {
    private static final long HANG_LIMIT_MILLIS = 20_000;
    private static final Pattern STATUS_LINE = Pattern.compile("^HTTP/1\\.1 (\\d{3}) [^\\r\\n]*\\r\\n");
    /** In every secret file; random, so only a secret file can be where an answer got it from. */
    private static final String SECRET = UUID.randomUUID().toString();

    @TempDir
    static Path dir;
    private static List<byte[]> servable;
    private static WatchdogFixture watchdog;

    @BeforeAll
    static void serve() throws IOException, InterruptedException {
        Path root = Files.createDirectories(dir.resolve("public"));
        Path evil = Files.createDirectories(dir.resolve("public-evil"));
        Files.writeString(dir.resolve("secret.txt"), SECRET + " beside the root");
        Files.writeString(evil.resolve("secret.txt"), SECRET + " in a sibling named like the root");
        Files.writeString(root.resolve("index.html"), "<h1>root index</h1>");
        Files.writeString(root.resolve("a.txt"), "file a, inside the root");
        Files.writeString(root.resolve("a b.txt"), "file with a space, inside the root");
        Files.writeString(root.resolve("%2e.txt"), "file named with a percent, inside the root");
        Files.createDirectories(root.resolve("sub/deeper"));
        Files.writeString(root.resolve("sub/index.html"), "sub index, inside the root");
        Files.writeString(root.resolve("sub/deeper/b.txt"), "file b, deeper inside the root");
        Files.writeString(root.resolve("sub/ünï.txt"), "unicode name, inside the root");
        Files.createSymbolicLink(root.resolve("in.txt"), root.resolve("sub/deeper/b.txt"));
        Files.createSymbolicLink(root.resolve("insub"), root.resolve("sub"));
        Files.createSymbolicLink(root.resolve("out.txt"), dir.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("outdir"), dir);
        Files.createSymbolicLink(root.resolve("sub/up"), Path.of(".."));
        Files.createSymbolicLink(root.resolve("sub/upup"), Path.of("../.."));
        Files.createSymbolicLink(root.resolve("evil"), evil);
        Files.createSymbolicLink(root.resolve("evil.txt"), Path.of("../public-evil/secret.txt"));
        Files.createSymbolicLink(root.resolve("loop"), root.resolve("loop"));
        try (var files = Files.walk(root)) {
            servable = files.filter(Files::isRegularFile).filter(p -> !Files.isSymbolicLink(p)).map(p -> {
                try {
                    return Files.readAllBytes(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
        watchdog = WatchdogFixture.start(Map.of(
                "mode", "static",
                "static_path", root.toString(),
                "read_timeout", "2s",
                "write_timeout", "5s",
                "max_header_size", "4Ki"));
    }

    @AfterAll
    static void stop() throws IOException {
        watchdog.close();
    }

    @FuzzTest
    @DictionaryEntries({"/", "..", ".", "%2e", "%2E", "%2f", "%2F", "%5c", "%5C", "\\\\", "%00", "%25", "%c0%ae",
            "%c0%af", "%e0%80%ae", "%ef%bc%8f", "//", "/..", "/./", "out.txt", "outdir", "outdir/secret.txt", "evil",
            "evil/secret.txt", "evil.txt", "public-evil", "secret.txt", "sub", "sub/up", "sub/upup", "insub", "in.txt",
            "loop", "index.html", "a%20b.txt", "%252e.txt", "?", "#", ";", "http://x", "*"})
    void neverServesABytePastTheRoot(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        boolean head = (input[0] & 1) != 0;
        boolean range = (input[0] & 2) != 0;
        byte[] target = Arrays.copyOfRange(input, 1, input.length);
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(((head ? "HEAD " : "GET ")).getBytes(StandardCharsets.ISO_8859_1));
        request.writeBytes(target);
        request.writeBytes((" HTTP/1.1\r\nHost: x\r\n" + (range ? "Range: bytes=2-\r\n" : "")
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));

        byte[] received;
        try (SilentCloseable allowed = BugDetectors.allowNetworkConnections((host, port) -> port == watchdog.port())) {
            received = RawConnection.sendUntilClosed(watchdog.port(), request.toByteArray(), HANG_LIMIT_MILLIS);
        }
        String text = new String(received, StandardCharsets.ISO_8859_1);
        String shown = RawConnection.printable(target);
        String sent = request.toString(StandardCharsets.ISO_8859_1);
        // A 400 quotes the request line, so what the request itself holds may come back.
        for (String secret : List.of(SECRET, "root:x:0:0")) {
            if (!sent.contains(secret)) {
                assertThat(text).as("answer to %s", shown).doesNotContain(secret);
            }
        }

        Matcher status = STATUS_LINE.matcher(text);
        if (!status.find()) {
            assertThat(text).as("a connection closed without an answer is only for unparsable input: %s", shown)
                    .isEmpty();
            return;
        }
        int code = Integer.parseInt(status.group(1));
        assertThat(code).as("status for %s", shown).isIn(200, 206, 301, 304, 400, 404, 405, 414, 416, 431);
        int end = text.indexOf("\r\n\r\n");
        assertThat(end).as("a complete head for %s", shown).isPositive();
        byte[] body = Arrays.copyOfRange(received, end + 4, received.length);
        if (head || (code != 200 && code != 206)) {
            return;
        }
        String headers = text.substring(0, end).toLowerCase(Locale.ROOT);
        if (headers.contains("x-openfaas-internal: fwatchdog")) {
            return;
        }
        if (sent.contains("/_/") && new String(body, StandardCharsets.ISO_8859_1).equals("OK\n")) {
            return; // the watchdog's own /_/health or /_/ready, whitespace around the target being allowed
        }
        assertThat(servable).as("the body of a %d to %s is a file under the root", code, shown)
                .anySatisfy(file -> assertThat(code == 200 ? Arrays.equals(file, body)
                        : body.length > 0 && contains(file, body)).isTrue());
    }

    private static boolean contains(byte[] file, byte[] part) {
        for (int i = 0; i + part.length <= file.length; i++) {
            if (Arrays.equals(file, i, i + part.length, part, 0, part.length)) {
                return true;
            }
        }
        return false;
    }
}
