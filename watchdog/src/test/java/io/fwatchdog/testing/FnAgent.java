package io.fwatchdog.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Plays Fn's agent towards a watchdog started as an Fn hot function, from the http-stream
 * contract: makes the socket directory, waits for the {@code lsnr.sock} link, and sends calls
 * ({@code POST /call} with {@code Fn-*} headers, the body chunked as the agent's Go client sends
 * it) over one kept-alive connection, one at a time.
 */
public final class FnAgent implements AutoCloseable {
    public final Path dir;
    public final Path listener;
    private SocketChannel channel;
    private InputStream in;
    private OutputStream out;
    /** The 100 Continue answers read so far, which come before a call's answer. */
    public int interimResponses;

    private FnAgent(Path dir) {
        this.dir = dir;
        this.listener = dir.resolve("lsnr.sock");
    }

    /** A fresh socket directory, short enough for a socket path. */
    public static FnAgent create() throws IOException {
        return new FnAgent(Files.createTempDirectory(Path.of("/tmp"), "fn-agent"));
    }

    /** The environment Fn gives the container. */
    public Map<String, String> environment() {
        return Map.of("FN_LISTENER", "unix:" + listener, "FN_FORMAT", "http-stream", "FN_APP_ID", "app", "FN_FN_ID", "fn");
    }

    /** What the agent checks before it calls: the link is there, names a file in this directory, and that is a socket. */
    public boolean listening() {
        try {
            if (!Files.isSymbolicLink(listener)) {
                return false;
            }
            Path target = Files.readSymbolicLink(listener);
            return target.getNameCount() == 1 && !target.isAbsolute()
                    && Files.readAttributes(listener, java.nio.file.attribute.BasicFileAttributes.class).isOther();
        } catch (IOException e) {
            return false;
        }
    }

    public void awaitListening() throws InterruptedException {
        Processes.await("the Fn listener link " + listener, this::listening);
    }

    /** One call's description; {@link #send} fills in what an agent always sends. */
    public static final class Call {
        final String method;
        final String url;
        final Map<String, List<String>> headers = new LinkedHashMap<>();
        final List<String[]> raw = new ArrayList<>();
        byte[] body = new byte[0];
        Instant deadline = Instant.now().plusSeconds(60);
        String callId = UUID.randomUUID().toString();

        private Call(String method, String url) {
            this.method = method;
            this.url = url;
        }

        /** A header of the client's request, passed as {@code Fn-Http-H-<name>}. */
        public Call header(String name, String value) {
            headers.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
            return this;
        }

        /** A header of the hop itself, sent as it is. */
        public Call hopHeader(String name, String value) {
            raw.add(new String[] {name, value});
            return this;
        }

        public Call body(String text) {
            body = text.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        public Call body(byte[] bytes) {
            body = bytes.clone();
            return this;
        }

        public Call deadline(Instant at) {
            deadline = at;
            return this;
        }

        public Call callId(String id) {
            callId = id;
            return this;
        }
    }

    /** A gateway call: the client's request was {@code method url}. */
    public static Call call(String method, String url) {
        return new Call(method, url);
    }

    /** An answer as the agent reads it: the hop's status and headers (names in lower case), and the body. */
    public record Answer(int status, Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null ? null : values.get(0);
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The function's status, as the gateway would answer the client. */
        public int fnStatus() {
            return Integer.parseInt(header("Fn-Http-Status"));
        }
    }

    public Answer send(Call call) throws IOException {
        StringBuilder head = new StringBuilder("POST /call HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Go-http-client/1.1\r\n");
        head.append("Fn-Call-Id: ").append(call.callId).append("\r\n");
        head.append("Fn-Deadline: ").append(call.deadline.truncatedTo(ChronoUnit.SECONDS)).append("\r\n");
        head.append("Fn-Intent: httprequest\r\n");
        head.append("Fn-Http-Method: ").append(call.method).append("\r\n");
        head.append("Fn-Http-Request-Url: ").append(call.url).append("\r\n");
        call.headers.forEach((name, values) -> values.forEach(value -> head.append(
                name.equalsIgnoreCase("Content-Type") ? name : "Fn-Http-H-" + name).append(": ").append(value).append("\r\n")));
        for (String[] header : call.raw) {
            head.append(header[0]).append(": ").append(header[1]).append("\r\n");
        }
        if (call.body.length > 0) {
            head.append("Transfer-Encoding: chunked\r\n");
        }
        head.append("\r\n");
        return exchange(head.toString(), call.body);
    }

    /**
     * Sends {@code head} as it is and a chunked {@code body} when not empty, and reads the answer
     * while the body goes out, as the agent's client does: a function that answers as it reads
     * (cat) would otherwise fill both directions and stall.
     */
    public Answer exchange(String head, byte[] body) throws IOException {
        connect();
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        if (body.length == 0) {
            return read();
        }
        java.util.concurrent.CompletableFuture<Void> sent = new java.util.concurrent.CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                out.write((Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                sent.complete(null);
            } catch (IOException e) {
                sent.completeExceptionally(e);
            }
        });
        Answer answer = read();
        try {
            sent.get();
        } catch (java.util.concurrent.ExecutionException e) {
            // The watchdog may answer (a refusal, a failure) without taking the whole body.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return answer;
    }

    private void connect() throws IOException {
        if (channel != null && channel.isOpen()) {
            return;
        }
        channel = SocketChannel.open(UnixDomainSocketAddress.of(listener));
        in = new java.io.BufferedInputStream(Channels.newInputStream(channel));
        out = Channels.newOutputStream(channel);
    }

    /** True when the watchdog has closed the connection: the next byte is the end of the stream. */
    public boolean closedByWatchdog() throws IOException {
        return in.read() < 0;
    }

    private Answer read() throws IOException {
        String status = line();
        if (status == null) {
            throw new IOException("connection closed before an answer");
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String line = line(); line != null && !line.isEmpty(); line = line()) {
            int colon = line.indexOf(':');
            headers.computeIfAbsent(line.substring(0, colon).toLowerCase(Locale.ROOT), n -> new ArrayList<>())
                    .add(line.substring(colon + 1).trim());
        }
        int code = Integer.parseInt(status.split(" ")[1]);
        if (code == 100) {
            interimResponses++;
            return read();
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        List<String> length = headers.get("content-length");
        List<String> encoding = headers.get("transfer-encoding");
        if (encoding != null && encoding.get(0).equalsIgnoreCase("chunked")) {
            for (int size = Integer.parseInt(line().trim(), 16); size > 0; size = Integer.parseInt(line().trim(), 16)) {
                body.write(in.readNBytes(size));
                line();
            }
            for (String trailer = line(); trailer != null && !trailer.isEmpty(); trailer = line()) {
                // trailers are not kept
            }
        } else if (length != null) {
            body.write(in.readNBytes(Integer.parseInt(length.get(0))));
        } else {
            throw new IOException("an answer without Content-Length or chunked framing: " + headers);
        }
        return new Answer(code, headers, body.toByteArray());
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b >= 0; b = in.read()) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    /** Closes the connection, if any; the directory stays for the test to inspect, and is removed by {@link #close}. */
    public void disconnect() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    @Override
    public void close() throws IOException {
        disconnect();
        try (var entries = Files.list(dir)) {
            for (Path entry : entries.toList()) {
                Files.deleteIfExists(entry);
            }
        }
        Files.deleteIfExists(dir);
    }
}
