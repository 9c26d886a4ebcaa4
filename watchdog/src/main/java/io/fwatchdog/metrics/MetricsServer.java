package io.fwatchdog.metrics;

import static java.util.Objects.requireNonNull;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The listener on {@code metrics_port}: the Prometheus client's own exporter, serving
 * {@code /metrics} in the text format (and OpenMetrics when a scraper asks for it). It runs
 * on one thread of its own, so a scrape never takes time from the event loops.
 */
public final class MetricsServer implements AutoCloseable {
    private final HTTPServer server;

    private MetricsServer(HTTPServer server) {
        this.server = server;
    }

    /**
     * Binds {@code port} (0 for any free port) on every interface and starts serving.
     *
     * @throws UncheckedIOException naming {@code metrics_port} when the port cannot be bound
     */
    public static MetricsServer start(Metrics metrics, int port) {
        requireNonNull(metrics, "metrics");
        if (!metrics.enabled()) {
            throw new IllegalArgumentException("metrics: disabled (expected: metrics created with Metrics.create())");
        }
        ExecutorService thread = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().daemon().name("fwatchdog-metrics").factory());
        // The one thread takes tasks in order: every scrape comes after this.
        thread.execute(metrics::registerJvmAndProcess);
        try {
            return new MetricsServer(HTTPServer.builder()
                    .port(port)
                    .registry(metrics.registry())
                    .executorService(thread)
                    .buildAndStart());
        } catch (IOException e) {
            thread.shutdownNow();
            throw new UncheckedIOException("cannot listen on metrics_port " + port + " (" + e.getMessage()
                    + "); choose another port, or 0 to disable metrics", e);
        }
    }

    public int port() {
        return server.getPort();
    }

    /** Stops listening at once; a scrape in progress is cut. */
    @Override
    public void close() {
        server.close();
    }
}
