package io.fwatchdog;

import io.fwatchdog.config.Variable;
import io.fwatchdog.log.Log;
import io.fwatchdog.server.Watchdog;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;
import sun.misc.Signal;

/**
 * The training run for an AOT cache: one JVM that starts the watchdog in every mode, sends each
 * enough requests for its request path to be compiled, shuts it down, and ends with a watchdog stopped by a real SIGTERM. Run under
 * {@code -XX:AOTCacheOutput=...} (see {@code watchdog/src/dist/train-aot.sh}), it leaves a cache
 * holding the classes that every mode loads at start-up and on its first requests, where a run
 * of {@link Main} could only ever train one mode.
 *
 * <p>Not part of the watchdog's behaviour: it exists for image builds. A new mode adds one
 * method below and one line in {@link #main}.
 */
public final class Training {
    /**
     * Requests per fork mode (each starts a process) and through the http proxy: enough for
     * the JIT to compile the request path, so the cache records its profiles.
     */
    private static final int FORKS = 300;
    private static final int PROXIED = 20_000;

    private final Map<String, String> base;

    private Training(Path tmpdir) {
        base = trainingEnvironment(System.getenv(), tmpdir);
    }

    /**
     * The environment every training watchdog starts from: {@code inherited} without any of the
     * watchdog's own settings (a {@code port}, {@code metrics_port} or {@code mode} set where the
     * image is built must not decide what training binds or runs), its own lock file, and the
     * listener on any free port. Each run adds its mode's settings.
     */
    static Map<String, String> trainingEnvironment(Map<String, String> inherited, Path tmpdir) {
        var environment = new HashMap<>(inherited);
        for (Variable variable : Variable.values()) {
            environment.remove(variable.envName());
            variable.alias().ifPresent(environment::remove);
        }
        environment.put("TMPDIR", tmpdir.toString());
        environment.put("healthcheck_interval", "0");
        environment.put("port", "0");
        // Off where a run binds what the settings say; exercise() puts metrics on any free port.
        environment.put("metrics_port", "0");
        return environment;
    }

    public static void main(String[] args) throws Exception {
        Path tmpdir = Files.createTempDirectory("fwatchdog-training");
        int status;
        try {
            var training = new Training(tmpdir);
            training.streaming();
            training.serializing();
            training.http();
            training.afterburn(tmpdir);
            status = training.signalled();
        } finally {
            Files.deleteIfExists(tmpdir.resolve(".lock"));
            Files.deleteIfExists(tmpdir.resolve(AFTERBURN_LOOP));
            Files.deleteIfExists(tmpdir);
        }
        Log.flush();
        System.out.println("fwatchdog training: every mode answered; exit status " + status);
        System.exit(status);
    }

    private void streaming() {
        exercise(Map.of("mode", "streaming", "fprocess", "cat"), port -> repeat(port, FORKS, "POST", "/", "hello"));
    }

    private void serializing() {
        exercise(Map.of("mode", "serializing", "fprocess", "cat", "log_format", "json"),
                port -> repeat(port, FORKS, "POST", "/a?b=c", "hello"));
    }

    /**
     * A supervised process (which only sleeps) and an upstream served from this JVM. The watchdog
     * refuses an upstream port that is taken before it starts its function, so the upstream binds
     * only once that process runs; the watchdog waits for it as for any upstream.
     *
     * <p>The upstream is plain blocking sockets, not Netty: it runs in the JVM being trained, and
     * Netty classes it shared with the watchdog would record its types in their profiles (an NIO
     * channel, a server codec, aggregated messages), so the compiled request path would be shaped
     * for two programs where production runs one.
     */
    private void http() throws IOException {
        int upstreamPort;
        try (var probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            upstreamPort = probe.getLocalPort();
        }
        CompletableFuture<EchoUpstream> listening = CompletableFuture.supplyAsync(() -> {
            try {
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (ProcessHandle.current().children().noneMatch(
                        child -> child.info().command().map(command -> command.endsWith("sleep")).orElse(false))) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the http mode's function did not start");
                    }
                    Thread.sleep(10);
                }
                return new EchoUpstream(upstreamPort);
            } catch (InterruptedException e) {
                throw new IllegalStateException("interrupted before the training upstream could listen", e);
            } catch (IOException e) {
                throw new UncheckedIOException("the training upstream could not listen on " + upstreamPort, e);
            }
        });
        try {
            exercise(Map.of("mode", "http", "fprocess", "sleep 600", "upstream_url", "http://127.0.0.1:" + upstreamPort),
                    port -> {
                        repeat(port, PROXIED / 10, "POST", "/echo", "hello");
                        repeat(port, PROXIED, "GET", "/", null);
                    });
        } finally {
            listening.join().close();
        }
    }

    /**
     * The http mode's function: answers every request with its body, on a thread per connection.
     * Like most function servers it sends a Content-Type and a Date and keeps the connection open.
     */
    private static final class EchoUpstream implements AutoCloseable {
        /** Fixed: what is trained is the header's passage, not its value (and java.time stays out of the cache). */
        private static final String DATE = "Thu, 03 Dec 2026 00:00:00 GMT";

        private final ServerSocket listener;
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();

        EchoUpstream(int port) throws IOException {
            listener = new ServerSocket(port, 64, InetAddress.getLoopbackAddress());
            Thread.ofPlatform().name("training-upstream").daemon().start(this::accept);
        }

        private void accept() {
            while (!listener.isClosed()) {
                Socket connection;
                try {
                    connection = listener.accept();
                } catch (IOException closed) {
                    return;
                }
                open.add(connection);
                Thread.ofPlatform().name("training-upstream-connection").daemon().start(() -> serve(connection));
            }
        }

        private void serve(Socket connection) {
            try (connection) {
                connection.setTcpNoDelay(true);
                var in = new BufferedInputStream(connection.getInputStream());
                OutputStream out = connection.getOutputStream();
                for (Head request = Head.read(in); request != null; request = Head.read(in)) {
                    if (request.chunked()) {
                        throw new IllegalStateException("the training upstream reads Content-Length bodies only, got "
                                + List.of(request.start()) + " chunked");
                    }
                    byte[] body = in.readNBytes(request.length());
                    String head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: " + DATE
                            + "\r\nContent-Length: " + body.length + "\r\n\r\n";
                    out.write(head.getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                }
            } catch (IOException closed) {
                // the watchdog closed its connection, or the upstream is closing
            } finally {
                open.remove(connection);
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket connection : open) {
                connection.close();
            }
        }
    }

    /** An afterburn loop in POSIX sh (the training image has no other language): echoes each body. */
    private static final String AFTERBURN_LOOP = "afterburn-loop.sh";
    private static final String AFTERBURN_SCRIPT = """
            cr=$(printf '\r')
            while IFS= read -r line; do
                length=0
                while IFS= read -r header; do
                    header=${header%"$cr"}
                    [ -z "$header" ] && break
                    case $header in [Cc]ontent-[Ll]ength:*) length=${header#*:}; length=${length# } ;; esac
                done
                body=$(head -c "$length")
                printf 'HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s' "${#body}" "$body"
            done
            """;

    /** Two hot processes, so the pool grows and requests queue. */
    private void afterburn(Path tmpdir) throws IOException {
        Path loop = Files.writeString(tmpdir.resolve(AFTERBURN_LOOP), AFTERBURN_SCRIPT);
        exercise(Map.of("mode", "afterburn", "fprocess", "sh " + loop, "workers", "2"), port -> {
            repeat(port, FORKS, "POST", "/", "hello");
            repeat(port, 3, "GET", "/", null);
        });
    }

    /**
     * A streaming watchdog run as {@link Main} runs it, stopped by SIGTERM: the signal handlers
     * and the drain are trained too. {@code run} binds the configured port and does not say
     * which it got, so the port is one found free just before; should something take it in
     * between, the run fails before it is healthy and is repeated on another.
     */
    private int signalled() throws Exception {
        for (int attempt = 1; ; attempt++) {
            int port;
            try (var probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            var env = new HashMap<>(base);
            env.putAll(Map.of("mode", "streaming", "fprocess", "cat", "port", Integer.toString(port)));
            var run = CompletableFuture.supplyAsync(
                    () -> Cli.run(new String[0], env, System.out, System.err, Watchdog::run));
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!Files.exists(Path.of(env.get("TMPDIR"), ".lock"))) {
                if (run.isDone() && attempt < 3) {
                    break;
                }
                if (run.isDone() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("the signalled watchdog did not become healthy (status "
                            + (run.isDone() ? run.join() : "none yet") + ")");
                }
                Thread.sleep(10);
            }
            if (run.isDone()) {
                System.err.println("fwatchdog training: the watchdog on port " + port + " ended before it was healthy"
                        + " (status " + run.join() + "; the port may have been taken meanwhile): again on another");
                continue;
            }
            expect(200, "OK", request(port, "GET", "/_/health", null));
            expect(200, "hello", request(port, "POST", "/", "hello"));
            // A real SIGTERM to this process, through the JVM's signal dispatch as from outside.
            Signal.raise(new Signal("TERM"));
            return run.join();
        }
    }

    /** Starts a watchdog with {@code settings} through the command line's own path, exercises it, stops it. */
    private void exercise(Map<String, String> settings, IntConsumer requests) {
        var env = new HashMap<>(base);
        env.putAll(settings);
        int status = Cli.run(new String[0], env, System.out, System.err, config -> {
            Watchdog watchdog;
            try {
                watchdog = Watchdog.startWithMetricsOnAnyPort(config);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
            try {
                expect(200, "OK", request(watchdog.port(), "GET", "/_/health", null));
                expect(200, "OK", request(watchdog.port(), "GET", "/_/ready", null));
                requests.accept(watchdog.port());
                Response metrics = request(watchdog.metricsPort(), "GET", "/metrics", null);
                if (metrics.status() != 200 || !metrics.body().contains("http_requests_total")) {
                    throw new IllegalStateException("metrics answered " + metrics.status());
                }
            } finally {
                watchdog.close();
            }
            return 0;
        });
        if (status != 0) {
            throw new IllegalStateException(settings.get("mode") + " mode: exit status " + status);
        }
    }

    private record Response(int status, String body) {}

    /** One request on a connection of its own. */
    private static Response request(int port, String method, String path, String body) {
        try (var connection = new KeepAlive(port)) {
            return connection.send(method, path, body);
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " on port " + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code count} requests one after another on one kept-alive connection, each expected to
     * answer 200 with {@code body} (empty for none): enough of them for the request path's
     * methods to be compiled and their profiles recorded in the cache, so that a fresh watchdog
     * runs its first requests nearly as fast as a warm one.
     */
    private static void repeat(int port, int count, String method, String path, String body) {
        try (var connection = new KeepAlive(port)) {
            for (int i = 0; i < count; i++) {
                expect(200, body == null ? "" : body, connection.send(method, path, body));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " on port " + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * A minimal HTTP/1.1 client over a plain socket, for answers with a Content-Length: the
     * JDK's own client would put its classes in the cache, and every start would load them.
     */
    private static final class KeepAlive implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        KeepAlive(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(30_000);
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        Response send(String method, String path, String body) throws IOException {
            byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            String head = method + " " + path + " HTTP/1.1\r\nHost: training\r\n"
                    + (body == null ? "" : "Content-Length: " + content.length + "\r\n") + "\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(content);
            out.flush();
            Head response = Head.read(in);
            if (response == null) {
                throw new IOException("the connection closed before a response");
            }
            String[] words = response.start().split(" ", 3);
            if (words.length < 2 || !words[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP response: " + List.of(response.start()));
            }
            byte[] received = response.chunked() ? chunks() : in.readNBytes(response.length());
            return new Response(Integer.parseInt(words[1]), new String(received, StandardCharsets.UTF_8));
        }

        private byte[] chunks() throws IOException {
            var body = new ByteArrayOutputStream();
            for (int size = chunkSize(); size > 0; size = chunkSize()) {
                body.write(in.readNBytes(size));
                Head.line(in); // the CRLF after the chunk
            }
            while (!Head.line(in).isEmpty()) {
                // trailer fields
            }
            return body.toByteArray();
        }

        private int chunkSize() throws IOException {
            String size = Head.line(in);
            int extension = size.indexOf(';');
            return Integer.parseInt((extension < 0 ? size : size.substring(0, extension)).strip(), 16);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * The start line and framing of an HTTP/1.1 message head, read from {@code in} up to its
     * blank line: enough for the training client and upstream, which send and expect nothing else.
     */
    private record Head(String start, int length, boolean chunked) {
        /** The next head, or null when the connection ends cleanly before one begins. */
        static Head read(InputStream in) throws IOException {
            int first = in.read();
            if (first < 0) {
                return null;
            }
            String start = (char) first + line(in);
            int length = 0;
            boolean chunked = false;
            for (String header = line(in); !header.isEmpty(); header = line(in)) {
                int colon = header.indexOf(':');
                String name = colon > 0 ? header.substring(0, colon) : "";
                if (name.equalsIgnoreCase("content-length")) {
                    length = Integer.parseInt(header.substring(colon + 1).strip());
                } else if (name.equalsIgnoreCase("transfer-encoding")) {
                    chunked = header.substring(colon + 1).strip().equalsIgnoreCase("chunked");
                }
            }
            return new Head(start.strip(), length, chunked);
        }

        /** One line without its CR LF. */
        static String line(InputStream in) throws IOException {
            var line = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("the connection closed mid-message");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        }
    }

    private static void expect(int status, String body, Response response) {
        if (response.status() != status || !response.body().strip().equals(body)) {
            throw new IllegalStateException("expected " + status + " " + List.of(body) + ", got "
                    + response.status() + " " + List.of(response.body()));
        }
    }
}
