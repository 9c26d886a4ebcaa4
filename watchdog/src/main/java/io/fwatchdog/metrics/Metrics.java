package io.fwatchdog.metrics;

import io.fwatchdog.log.Log;
import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.List;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * Every series the watchdog exposes, recorded with the Prometheus Java client. The three
 * {@code http_*} series have of-watchdog's names, labels and buckets; the {@code fwatchdog_*}
 * ones are the watchdog's own. Label values come from small fixed sets (status codes, nine
 * methods, a few reasons), so the number of series stays bounded whatever clients send.
 *
 * <p>A disabled instance ({@code metrics_port=0}) records nothing and costs one branch per call.
 * Safe from any thread.
 */
public final class Metrics {
    /** of-watchdog's buckets (Go's {@code prometheus.DefBuckets}). */
    private static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    /** Methods with a label of their own; any other method is counted as {@code other}. */
    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    private static final int OTHER_METHOD = METHODS.length;
    /** The exit reasons' labels, each series there from the start (the process package's {@code ExitReason}). */
    static final List<String> EXIT_REASONS = List.of("ok", "error", "timeout", "killed", "crashed", "recycled");
    private static final int MIN_CODE = 100;
    private static final int MAX_CODE = 599;

    /** Why a request was turned away without reaching the function. */
    public enum Rejection {
        /** 429: every {@code max_inflight} slot busy and no room in the queue. */
        MAX_INFLIGHT,
        /** 503: waited in the queue for {@code exec_timeout} without a slot. */
        QUEUE_TIMEOUT,
        /** 503: the watchdog is shutting down. */
        SHUTTING_DOWN
    }

    private final boolean enabled;
    private final PrometheusRegistry registry;
    private final Counter requests;
    private final Histogram duration;
    private final Counter rejections;
    private final Histogram queueWait;
    private final Counter bytesIn;
    private final Counter bytesOut;
    private final Counter processStarts;
    private final Counter processStartFailures;
    private final Counter processExits;
    private final Counter upstreamRestarts;
    /** Data points per status code and method, looked up once: the label lookup is a map access. */
    private final Points[] points;

    private record Points(CounterDataPoint count, DistributionDataPoint duration) {}

    private Metrics(boolean enabled) {
        this.enabled = enabled;
        this.points = new Points[(MAX_CODE - MIN_CODE + 1) * (METHODS.length + 1)];
        if (!enabled) {
            registry = null;
            requests = rejections = bytesIn = bytesOut = processStarts = processStartFailures = processExits = null;
            upstreamRestarts = null;
            duration = queueWait = null;
            return;
        }
        registry = new PrometheusRegistry();
        requests = Counter.builder().name("http_requests_total")
                .help("Requests to the function by status code and method")
                .labelNames("code", "method").withoutExemplars().register(registry);
        duration = Histogram.builder().name("http_request_duration_seconds")
                .help("Time from a request's arrival to the end of its response, by status code and method")
                .labelNames("code", "method").classicOnly().classicUpperBounds(BUCKETS).withoutExemplars()
                .register(registry);
        rejections = Counter.builder().name("fwatchdog_requests_rejected_total")
                .help("Requests turned away without reaching the function, by reason")
                .labelNames("reason").withoutExemplars().register(registry);
        queueWait = Histogram.builder().name("fwatchdog_queue_wait_seconds")
                .help("Time requests that had to queue waited for an admission slot (admitted, timed out or withdrawn)")
                .classicOnly().classicUpperBounds(BUCKETS).withoutExemplars().register(registry);
        bytesIn = Counter.builder().name("fwatchdog_request_body_bytes_total")
                .help("Request body bytes received for the function").unit(Unit.BYTES).withoutExemplars()
                .register(registry);
        bytesOut = Counter.builder().name("fwatchdog_response_body_bytes_total")
                .help("Response body bytes sent to clients for the function").unit(Unit.BYTES).withoutExemplars()
                .register(registry);
        processStarts = Counter.builder().name("fwatchdog_function_process_starts_total")
                .help("Function processes started").withoutExemplars().register(registry);
        processStartFailures = Counter.builder().name("fwatchdog_function_process_start_failures_total")
                .help("Function processes that could not be started").withoutExemplars().register(registry);
        processExits = Counter.builder().name("fwatchdog_function_process_exits_total")
                .help("Function processes that ended, by reason: " + String.join(", ", EXIT_REASONS))
                .labelNames("reason").withoutExemplars().register(registry);
        upstreamRestarts = Counter.builder().name("fwatchdog_upstream_restarts_total")
                .help("Times the http mode's upstream process was restarted after it exited").withoutExemplars()
                .register(registry);
        for (Rejection reason : Rejection.values()) {
            rejections.labelValues(label(reason));
        }
        for (String reason : EXIT_REASONS) {
            processExits.labelValues(reason);
        }
        CounterWithCallback.builder().name("fwatchdog_log_lines_dropped_total")
                .help("Log lines dropped because the log output could not take them fast enough")
                .callback(callback -> callback.call(Log.dropped())).register(registry);
    }

    /**
     * Adds the client's JVM and process instrumentation. It takes about as long as everything
     * else here (management beans), so {@link MetricsServer} does it on its own thread, off
     * the start-up path, before it answers the first scrape.
     */
    public void registerJvmAndProcess() {
        JvmMemoryMetrics.builder().register(registry);
        JvmThreadsMetrics.builder().register(registry);
        JvmGarbageCollectorMetrics.builder().register(registry);
        JvmBufferPoolMetrics.builder().register(registry);
        JvmRuntimeInfoMetric.builder().register(registry);
        ProcessMetrics.builder().register(registry);
    }

    /** Reads the client's configuration (properties files, system properties, environment), which {@link #create()} needs. */
    public static void initializeConfiguration() {
        PrometheusProperties.get();
    }

    /** Metrics that are recorded and can be served. */
    public static Metrics create() {
        return new Metrics(true);
    }

    /** Metrics that record nothing, for {@code metrics_port=0}. */
    public static Metrics disabled() {
        return new Metrics(false);
    }

    public boolean enabled() {
        return enabled;
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /**
     * Adds the series whose values are read at scrape time: requests in flight (admitted or
     * waiting) and the queue depth.
     */
    public void watch(IntSupplier inflight, IntSupplier queued) {
        if (!enabled) {
            return;
        }
        GaugeWithCallback.builder().name("http_requests_in_flight")
                .help("Requests to the function being served, queued ones included")
                .callback(callback -> callback.call(inflight.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("fwatchdog_queue_depth")
                .help("Requests waiting for an admission slot (max_queue)")
                .callback(callback -> callback.call(queued.getAsInt())).register(registry);
    }

    /** A request to the function ended with {@code code} after {@code nanos}. */
    /** Adds the afterburn mode's hot processes by state, read at scrape time. */
    public void watchWorkers(IntSupplier idle, IntSupplier busy, IntSupplier starting) {
        if (!enabled) {
            return;
        }
        GaugeWithCallback.builder().name("fwatchdog_hot_workers")
                .help("Hot function processes (afterburn) by state: idle, busy, starting")
                .labelNames("state")
                .callback(callback -> {
                    callback.call(idle.getAsInt(), "idle");
                    callback.call(busy.getAsInt(), "busy");
                    callback.call(starting.getAsInt(), "starting");
                }).register(registry);
    }

    /** A request to the function ended; {@code method} as on the request line. */
    public void requestEnded(String method, int code, long nanos, long bodyBytesIn, long bodyBytesOut) {
        if (!enabled) {
            return;
        }
        Points p = points(code, method);
        p.count().inc();
        p.duration().observe(nanos / 1e9);
        if (bodyBytesIn > 0) {
            bytesIn.inc(bodyBytesIn);
        }
        if (bodyBytesOut > 0) {
            bytesOut.inc(bodyBytesOut);
        }
    }

    public void rejected(Rejection reason) {
        if (enabled) {
            rejections.labelValues(label(reason)).inc();
        }
    }

    /** A request that had to queue stopped waiting after {@code nanos}. */
    public void queueWaited(long nanos) {
        if (enabled) {
            queueWait.observe(nanos / 1e9);
        }
    }

    public void processStarted() {
        if (enabled) {
            processStarts.inc();
        }
    }

    public void processStartFailed() {
        if (enabled) {
            processStartFailures.inc();
        }
    }

    public void upstreamRestarted() {
        if (enabled) {
            upstreamRestarts.inc();
        }
    }

    /**
     * A function process ended, for {@code reason} (the process package's exit reasons), which
     * is counted under its name in lower case.
     */
    public void processExited(Enum<?> reason) {
        if (enabled) {
            processExits.labelValues(label(reason)).inc();
        }
    }

    private Points points(int code, String method) {
        int m = methodIndex(method);
        if (code < MIN_CODE || code > MAX_CODE) {
            return newPoints(code, m);
        }
        int index = (code - MIN_CODE) * (METHODS.length + 1) + m;
        Points p = points[index];
        if (p == null) {
            // A racing first use stores an equal value: the client returns the same data points for the same labels.
            p = newPoints(code, m);
            points[index] = p;
        }
        return p;
    }

    private Points newPoints(int code, int method) {
        String codeLabel = Integer.toString(code);
        String methodLabel = method == OTHER_METHOD ? "other" : METHODS[method].toLowerCase(Locale.ROOT);
        return new Points(requests.labelValues(codeLabel, methodLabel), duration.labelValues(codeLabel, methodLabel));
    }

    private static int methodIndex(String method) {
        for (int i = 0; i < METHODS.length; i++) {
            if (METHODS[i].equals(method)) {
                return i;
            }
        }
        return OTHER_METHOD;
    }

    private static String label(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
