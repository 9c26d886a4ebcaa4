package io.fwatchdog;

import com.sun.net.httpserver.HttpServer;
import io.fwatchdog.log.Log;
import io.fwatchdog.server.Watchdog;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntConsumer;
import sun.misc.Signal;

/**
 * The training run for an AOT cache: one JVM that starts the watchdog in every mode, sends each
 * a few requests, shuts it down, and ends with a watchdog stopped by a real SIGTERM. Run under
 * {@code -XX:AOTCacheOutput=...} (see {@code watchdog/src/dist/train-aot.sh}), it leaves a cache
 * holding the classes that every mode loads at start-up and on its first requests, where a run
 * of {@link Main} could only ever train one mode.
 *
 * <p>Not part of the watchdog's behaviour: it exists for image builds. A new mode adds one
 * method below and one line in {@link #main}.
 */
public final class Training {
    private final Map<String, String> base;

    private Training(Path tmpdir) {
        base = new HashMap<>(System.getenv());
        // Its own lock file, never that of a watchdog running on the same machine.
        base.put("TMPDIR", tmpdir.toString());
        base.put("healthcheck_interval", "0");
        base.put("port", "0");
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
        exercise(Map.of("mode", "streaming", "fprocess", "cat"), port -> {
            for (int i = 0; i < 3; i++) {
                expect(200, "hello", request(port, "POST", "/", "hello"));
            }
        });
    }

    private void serializing() {
        exercise(Map.of("mode", "serializing", "fprocess", "cat", "log_format", "json"), port -> {
            for (int i = 0; i < 3; i++) {
                expect(200, "hello", request(port, "POST", "/a?b=c", "hello"));
            }
        });
    }

    /**
     * A supervised process (which only sleeps) and an upstream served from this JVM. The watchdog
     * refuses an upstream port that is taken before it starts its function, so the upstream binds
     * only once that process runs; the watchdog waits for it as for any upstream.
     */
    private void http() throws IOException {
        int upstreamPort;
        try (var probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            upstreamPort = probe.getLocalPort();
        }
        HttpServer upstream = HttpServer.create();
        upstream.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        var listening = CompletableFuture.runAsync(() -> {
            try {
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (ProcessHandle.current().children().noneMatch(
                        child -> child.info().command().map(command -> command.endsWith("sleep")).orElse(false))) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the http mode's function did not start");
                    }
                    Thread.sleep(10);
                }
                upstream.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 0);
                upstream.start();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("the training upstream cannot listen: " + e, e);
            }
        });
        try {
            exercise(Map.of("mode", "http", "fprocess", "sleep 600", "upstream_url", "http://127.0.0.1:" + upstreamPort),
                    port -> {
                        for (int i = 0; i < 3; i++) {
                            expect(200, "hello", request(port, "POST", "/echo", "hello"));
                            expect(200, "", request(port, "GET", "/", null));
                        }
                    });
        } finally {
            listening.join();
            upstream.stop(0);
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
            for (int i = 0; i < 3; i++) {
                expect(200, "hello", request(port, "POST", "/", "hello"));
                expect(200, "", request(port, "GET", "/", null));
            }
        });
    }

    /**
     * A streaming watchdog run as {@link Main} runs it, stopped by SIGTERM: the signal handlers
     * and the drain are trained too. The port is found free beforehand, as {@code run} binds the
     * configured one.
     */
    private int signalled() throws Exception {
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
            if (run.isDone() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the signalled watchdog did not become healthy (status "
                        + (run.isDone() ? run.join() : "none yet") + ")");
            }
            Thread.sleep(10);
        }
        expect(200, "OK", request(port, "GET", "/_/health", null));
        expect(200, "hello", request(port, "POST", "/", "hello"));
        // A real SIGTERM to this process, through the JVM's signal dispatch as from outside.
        Signal.raise(new Signal("TERM"));
        return run.join();
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

    private static Response request(int port, String method, String path, String body) {
        try {
            var connection = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
            connection.setRequestMethod(method);
            connection.setConnectTimeout(10_000);
            connection.setReadTimeout(30_000);
            if (body != null) {
                connection.setDoOutput(true);
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(body.getBytes(StandardCharsets.UTF_8));
                }
            }
            int status = connection.getResponseCode();
            try (InputStream in = status < 400 ? connection.getInputStream() : connection.getErrorStream()) {
                return new Response(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } finally {
                connection.disconnect();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " on port " + port + ": " + e.getMessage(), e);
        }
    }

    private static void expect(int status, String body, Response response) {
        if (response.status() != status || !response.body().strip().equals(body)) {
            throw new IllegalStateException("expected " + status + " " + List.of(body) + ", got "
                    + response.status() + " " + List.of(response.body()));
        }
    }
}
