package io.fwatchdog.testing;

import io.fwatchdog.config.Config;
import io.fwatchdog.config.ConfigException;
import io.fwatchdog.server.Watchdog;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A real watchdog on port 0 inside the test JVM, configured the way an operator would: an
 * environment map. Closing it shuts the watchdog down as SIGTERM does, with no waits.
 */
public final class WatchdogFixture implements AutoCloseable {
    public final Watchdog watchdog;
    public final Config config;
    public final Path tmp;
    public final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private boolean closed;

    private WatchdogFixture(Config config, Path tmp, boolean metrics) throws InterruptedException {
        this.config = config;
        this.tmp = tmp;
        this.watchdog = metrics ? Watchdog.startWithMetricsOnAnyPort(config) : Watchdog.start(config);
    }

    /**
     * Starts a watchdog with {@code settings} over test defaults: port 0, no metrics listener,
     * a private TMPDIR (so the lock file is the test's own), no shutdown waits.
     */
    public static WatchdogFixture start(Map<String, String> settings) throws IOException, InterruptedException {
        return start(settings, false);
    }

    /** As {@link #start}, with the metrics listener on an ephemeral port ({@link #scrape()}). */
    public static WatchdogFixture startWithMetrics(Map<String, String> settings) throws IOException, InterruptedException {
        return start(settings, true);
    }

    /**
     * As {@link #start}, with the function command given as words, used verbatim (the command
     * line's {@code -- command args...}) in place of {@code fprocess}.
     */
    public static WatchdogFixture start(Map<String, String> settings, List<String> command)
            throws IOException, InterruptedException {
        return start(settings, command, false);
    }

    private static WatchdogFixture start(Map<String, String> settings, boolean metrics)
            throws IOException, InterruptedException {
        return start(settings, List.of(), metrics);
    }

    private static WatchdogFixture start(Map<String, String> settings, List<String> command, boolean metrics)
            throws IOException, InterruptedException {
        Path tmp = Files.createTempDirectory("fwatchdog-test");
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv("PATH"));
        env.put("TMPDIR", tmp.toString());
        env.put("port", "0");
        env.put("metrics_port", "0");
        env.put("healthcheck_interval", "0");
        env.putAll(settings);
        try {
            return new WatchdogFixture(Config.parse(env, command), tmp, metrics);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The path of a function script shipped with the tests. */
    public static String function(String name) {
        try {
            return Path.of(WatchdogFixture.class.getResource("/functions/" + name).toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return watchdog.port();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The metrics listener's answer to GET /metrics, in the Prometheus text format. */
    public String scrape() throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + watchdog.metricsPort() + "/metrics")).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET /metrics answered " + response.statusCode());
        }
        return response.body();
    }

    public RawConnection connect() throws IOException {
        return new RawConnection(port());
    }

    /** A raw connection to the metrics listener. */
    public RawConnection connectMetrics() throws IOException {
        return new RawConnection(watchdog.metricsPort());
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            watchdog.shutdown();
            watchdog.shutdown(); // no waits: tests that need the drain call shutdown() themselves
            watchdog.awaitTermination();
            client.close();
        }
    }
}
