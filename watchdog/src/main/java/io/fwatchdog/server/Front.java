package io.fwatchdog.server;

import io.fwatchdog.mode.Mode;
import io.fwatchdog.config.Config;
import io.fwatchdog.metrics.Metrics;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * State shared by every connection of the front: configuration, the mode, admission,
 * health, and the bookkeeping that lets shutdown wait for in-flight requests.
 */
final class Front {
    final Config config;
    final Mode mode;
    final Admission admission;
    final Health health;
    final Metrics metrics;
    /** Asks the function through {@code ready_path} for {@code /_/ready}; empty without it. */
    final Optional<ReadyProbe> readyProbe;
    /** Requests admitted at once: {@code max_inflight}, or the mode's own limit if lower; 0 = unlimited. */
    final int concurrency;
    final ChannelGroup connections = new DefaultChannelGroup("connections", GlobalEventExecutor.INSTANCE);
    private volatile boolean closing;
    private int inflight;

    Front(Config config, Mode mode, Health health, Metrics metrics) {
        this.config = config;
        this.mode = mode;
        this.health = health;
        this.metrics = metrics;
        this.concurrency = concurrency(config.maxInflight(), mode.concurrencyLimit());
        this.readyProbe = config.readyPath().map(path -> new ReadyProbe(path, mode, config));
        this.admission = new Admission(concurrency, config.maxQueue(), config.execTimeout(),
                metrics::queueWaited);
        metrics.watch(this::inflight, admission::queued);
    }

    private static int concurrency(int maxInflight, int modeLimit) {
        if (maxInflight == 0 || modeLimit == 0) {
            return Math.max(maxInflight, modeLimit);
        }
        return Math.min(maxInflight, modeLimit);
    }

    /** The settings that bound concurrency, for the messages of 429 and 503 answers. */
    String limits() {
        String inflight = "max_inflight=" + config.maxInflight();
        String modeLimit = config.upstreamProtocol() == Config.UpstreamProtocol.FN
                ? inflight + ", upstream_protocol=fn (one call at a time)" : inflight + ", workers=" + config.workers();
        return (mode.concurrencyLimit() > 0 ? modeLimit : inflight) + ", max_queue=" + config.maxQueue();
    }

    /** True when the function can take requests: health's answer. */
    boolean healthy() {
        return health.accepting() && mode.ready();
    }

    /** The listener is closed: connections finish what they serve and new requests get 503. */
    void startClosing() {
        closing = true;
        connections.forEach(channel -> {
            try {
                channel.pipeline().fireUserEventTriggered(FrontHandler.DRAIN);
            } catch (RejectedExecutionException loopEnded) {
                // The connection's event loop died: nothing on it can be drained.
            }
        });
    }

    boolean closing() {
        return closing;
    }

    synchronized void exchangeStarted() {
        inflight++;
    }

    synchronized void exchangeEnded() {
        if (--inflight == 0) {
            notifyAll();
        }
    }

    synchronized int inflight() {
        return inflight;
    }

    /** Waits until no exchange is in flight or {@code budget} runs out; true when drained. */
    synchronized boolean awaitDrained(Duration budget) throws InterruptedException {
        long deadline = System.nanoTime() + budget.toNanos();
        while (inflight > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }
}
