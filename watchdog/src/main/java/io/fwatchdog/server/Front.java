package io.fwatchdog.server;

import io.fwatchdog.config.Config;
import io.fwatchdog.metrics.Metrics;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;
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
    final ChannelGroup connections = new DefaultChannelGroup("connections", GlobalEventExecutor.INSTANCE);
    private volatile boolean closing;
    private int inflight;

    Front(Config config, Mode mode, Health health, Metrics metrics) {
        this.config = config;
        this.mode = mode;
        this.health = health;
        this.metrics = metrics;
        this.admission = new Admission(config.maxInflight(), config.maxQueue(), config.execTimeout(),
                metrics::queueWaited);
        metrics.watch(this::inflight, admission::queued);
    }

    /** True when the function can take requests: health's answer. */
    boolean healthy() {
        return health.accepting() && mode.ready();
    }

    /** The listener is closed: connections finish what they serve and new requests get 503. */
    void startClosing() {
        closing = true;
        connections.forEach(channel -> channel.pipeline().fireUserEventTriggered(FrontHandler.DRAIN));
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
