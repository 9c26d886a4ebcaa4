package io.fwatchdog.server;

import static java.util.Objects.requireNonNull;

import io.fwatchdog.metrics.Metrics;
import io.fwatchdog.log.Log;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.exporter.common.PrometheusScrapeHandler;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * What serves {@code metrics_port}: the pipeline for the watchdog's listener there, and the
 * scrapes themselves, which the Prometheus client's scrape handler (format negotiation,
 * OpenMetrics, gzip, {@code name[]} filters) performs on one thread of its own. A scrape never
 * takes time from the event loops, and a scraper, however slow, never holds that thread: it is
 * busy only while a whole request is being answered.
 */
public final class MetricsServer implements AutoCloseable {
    private final ExecutorService thread;
    private final PrometheusScrapeHandler scrapes;
    private final Duration readTimeout;

    private MetricsServer(ExecutorService thread, PrometheusScrapeHandler scrapes, Duration readTimeout) {
        this.thread = thread;
        this.scrapes = scrapes;
        this.readTimeout = readTimeout;
    }

    /**
     * Starts the scrape thread for {@code metrics}.
     *
     * @param readTimeout how long a connection may take to send a whole request, counted from its
     *                    start or the previous answer; past it the connection is closed. Zero: no limit.
     */
    public static MetricsServer create(Metrics metrics, Duration readTimeout) {
        requireNonNull(metrics, "metrics");
        requireNonNull(readTimeout, "readTimeout");
        if (!metrics.enabled()) {
            throw new IllegalArgumentException("metrics: disabled (expected: metrics created with Metrics.create())");
        }
        ExecutorService thread = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon()
                .name("fwatchdog-metrics")
                .uncaughtExceptionHandler((t, e) -> Log.error("metrics: scrape failed", e))
                .factory());
        // The one thread takes tasks in order: every scrape comes after this.
        thread.execute(metrics::registerJvmAndProcess);
        return new MetricsServer(thread,
                new PrometheusScrapeHandler(PrometheusProperties.get(), metrics.registry()), readTimeout);
    }

    /** The pipeline of each connection to the metrics listener. */
    public ChannelInitializer<Channel> initializer() {
        return new MetricsInitializer(this);
    }

    Duration readTimeout() {
        return readTimeout;
    }

    /**
     * Answers {@code request} on the scrape thread; {@code answer} gets the response there,
     * exactly once, even when the scrape fails.
     */
    void scrape(HttpRequest request, Consumer<FullHttpResponse> answer) {
        thread.execute(() -> {
            try {
                scrapes.handleRequest(new ScrapeExchange(request, answer));
            } catch (IOException e) {
                // ScrapeExchange rethrows what the handler reports and has answered 500 by now.
                Log.warn("metrics: scrape failed: " + e);
            }
        });
    }

    /** Stops the scrape thread; a scrape in progress is not answered. */
    @Override
    public void close() {
        thread.shutdownNow();
    }
}
