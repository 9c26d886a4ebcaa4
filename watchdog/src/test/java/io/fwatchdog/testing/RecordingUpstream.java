package io.fwatchdog.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An HTTP/1.1 upstream on a raw socket that records every request exactly as its own strict
 * parser read it off the wire, so a test can see what a server behind the watchdog sees: how
 * many requests, their framing, their bytes. Each request is answered by a {@link Responder},
 * which writes raw bytes and so can misbehave in any way.
 *
 * <p>The parser frames a body by Content-Length or {@code Transfer-Encoding: chunked} and
 * refuses anything ambiguous (both, repeated, other codings): such a request is recorded as a
 * {@linkplain #framingErrors() framing error} and its connection closed, since the watchdog must
 * never send one.
 */
public final class RecordingUpstream implements AutoCloseable {
    /** One request as parsed: its request line, header lines, decoded body, and connection number. */
    public record Request(String method, String target, String version, List<String> headers, byte[] body,
            int connection) {
        /** Values of the header {@code name} (any case), in order. */
        public List<String> header(String name) {
            List<String> values = new ArrayList<>();
            for (String line : headers) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    values.add(line.substring(colon + 1).strip());
                }
            }
            return values;
        }

        public String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    /** Answers one request; the stream is the connection's, so anything may be written. */
    @FunctionalInterface
    public interface Responder {
        void respond(Request request, OutputStream out) throws IOException;
    }

    /** Answers 200 with an empty body and a header naming the target the request had. */
    public static final Responder OK = (request, out) -> out.write(("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
            + "X-Upstream-Target: " + request.target() + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));

    private final ServerSocket server;
    private final Responder responder;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<String> framingErrors = new CopyOnWriteArrayList<>();
    private final List<String> heads = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile int connections;

    private RecordingUpstream(Responder responder) throws IOException {
        this.responder = responder;
        this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofPlatform().daemon().name("recording-upstream").start(this::accept);
    }

    public static RecordingUpstream start(Responder responder) throws IOException {
        return new RecordingUpstream(responder);
    }

    public int port() {
        return server.getLocalPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    /** Every request parsed so far, in arrival order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The request line of every request head received, whether or not its body followed. */
    public List<String> heads() {
        return List.copyOf(heads);
    }

    /** Requests that no correct proxy would send, described. */
    public List<String> framingErrors() {
        return List.copyOf(framingErrors);
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections;
    }

    /** Waits until at least {@code count} requests have been parsed. */
    public List<Request> awaitRequests(int count, Duration limit) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (requests.size() < count) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(requests.size() + " of " + count + " requests arrived: " + requests);
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
        return requests();
    }

    /** The first request with {@code target}, if any arrived. */
    public Optional<Request> request(String target) {
        return requests.stream().filter(request -> request.target().equals(target)).findFirst();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                sockets.add(socket);
                int number = ++connections;
                Thread.ofPlatform().daemon().name("recording-upstream-" + number).start(() -> serve(socket, number));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket, int connection) {
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            while (true) {
                Request request = read(in, connection, heads);
                if (request == null) {
                    return;
                }
                requests.add(request);
                responder.respond(request, out);
                out.flush();
            }
        } catch (FramingError e) {
            framingErrors.add(e.getMessage());
        } catch (IOException e) {
            // the watchdog closed the connection: nothing more to read
        }
    }

    private static final class FramingError extends IOException {
        FramingError(String message) {
            super(message);
        }
    }

    /** The next request, or null at a clean end of the stream between requests. */
    private static Request read(InputStream in, int connection, List<String> heads) throws IOException {
        String line = line(in, true);
        if (line == null) {
            return null;
        }
        String[] parts = line.split(" ", -1);
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
            throw new FramingError("bad request line: " + line);
        }
        List<String> headers = new ArrayList<>();
        for (String header = line(in, false); !header.isEmpty(); header = line(in, false)) {
            headers.add(header);
        }
        heads.add(line);
        Request head = new Request(parts[0], parts[1], parts[2], headers, new byte[0], connection);
        List<String> lengths = head.header("content-length");
        List<String> codings = head.header("transfer-encoding");
        if (!lengths.isEmpty() && !codings.isEmpty()) {
            throw new FramingError("both Content-Length and Transfer-Encoding: " + headers);
        }
        if (lengths.size() > 1 || codings.size() > 1) {
            throw new FramingError("repeated framing header: " + headers);
        }
        byte[] body;
        if (!codings.isEmpty()) {
            if (!codings.get(0).toLowerCase(Locale.ROOT).equals("chunked")) {
                throw new FramingError("Transfer-Encoding " + codings.get(0));
            }
            body = chunked(in);
        } else if (!lengths.isEmpty()) {
            if (!lengths.get(0).matches("[0-9]{1,18}")) {
                throw new FramingError("Content-Length " + lengths.get(0));
            }
            body = in.readNBytes(Integer.parseInt(lengths.get(0)));
        } else {
            body = new byte[0];
        }
        return new Request(parts[0], parts[1], parts[2], headers, body, connection);
    }

    private static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = line(in, false);
            int semicolon = size.indexOf(';');
            String digits = semicolon < 0 ? size : size.substring(0, semicolon);
            if (!digits.matches("[0-9a-fA-F]{1,7}")) {
                throw new FramingError("chunk size " + size);
            }
            int length = Integer.parseInt(digits, 16);
            if (length == 0) {
                while (!line(in, false).isEmpty()) {
                    // trailer fields
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(length));
            if (!line(in, false).isEmpty()) {
                throw new FramingError("chunk of " + length + " bytes not followed by CRLF");
            }
        }
    }

    /** One CRLF-terminated line; null at end of stream only where {@code endAllowed}. */
    private static String line(InputStream in, boolean endAllowed) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (endAllowed && line.size() == 0) {
                    return null;
                }
                throw new IOException("end of stream inside a request");
            }
            if (b == '\r') {
                if (in.read() != '\n') {
                    throw new FramingError("CR not followed by LF");
                }
                return line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b == '\n') {
                throw new FramingError("bare LF");
            }
            line.write(b);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
