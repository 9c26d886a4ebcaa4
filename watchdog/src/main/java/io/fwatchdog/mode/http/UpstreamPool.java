package io.fwatchdog.mode.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.ChannelPoolHandler;
import io.netty.channel.pool.SimpleChannelPool;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The idle upstream connections of one event loop, bounded in number and in age: a burst of
 * concurrent requests leaves at most {@code maxIdle} connections behind, and each is closed
 * after {@code idleTimeout} unused, so a quiet function is not made to hold sockets (or, in
 * a thread-per-connection server, threads) for connections nobody uses.
 *
 * <p>The most recently released connection is reused first, so under a steady load the same
 * few stay warm and the rest age out. A connection that its upstream closes while idle leaves
 * the pool at once.
 */
final class UpstreamPool extends SimpleChannelPool {
    private static final AttributeKey<ScheduledFuture<?>> EXPIRY = AttributeKey.valueOf(UpstreamPool.class, "expiry");
    private static final AttributeKey<Boolean> WATCHED = AttributeKey.valueOf(UpstreamPool.class, "watched");

    private final int maxIdle;
    private final long idleTimeoutNanos;
    /** Most recently released last. */
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();

    UpstreamPool(Bootstrap bootstrap, ChannelPoolHandler handler, int maxIdle, Duration idleTimeout) {
        super(bootstrap, handler, ChannelHealthChecker.ACTIVE, true, true);
        this.maxIdle = maxIdle;
        this.idleTimeoutNanos = idleTimeout.toNanos();
    }

    /** A refusal makes the pool close the connection: there are enough idle ones already. */
    @Override
    protected boolean offerChannel(Channel channel) {
        synchronized (idle) {
            if (idle.size() >= maxIdle) {
                return false;
            }
            idle.addLast(channel);
        }
        channel.attr(EXPIRY).set(channel.eventLoop().schedule(() -> expire(channel), idleTimeoutNanos, TimeUnit.NANOSECONDS));
        if (channel.attr(WATCHED).setIfAbsent(Boolean.TRUE) == null) {
            channel.closeFuture().addListener(closed -> forget(channel));
        }
        return true;
    }

    @Override
    protected Channel pollChannel() {
        Channel channel;
        synchronized (idle) {
            channel = idle.pollLast();
        }
        if (channel != null) {
            ScheduledFuture<?> expiry = channel.attr(EXPIRY).getAndSet(null);
            if (expiry != null) {
                expiry.cancel(false);
            }
        }
        return channel;
    }

    /** Unused for idle_timeout: closed, which takes it out of the pool. */
    private void expire(Channel channel) {
        boolean wasIdle;
        synchronized (idle) {
            wasIdle = idle.remove(channel);
        }
        if (wasIdle) {
            channel.close();
        }
    }

    private void forget(Channel channel) {
        synchronized (idle) {
            idle.remove(channel);
        }
    }

    /** Idle connections held now, for tests and for the soak's accounting. */
    int idleCount() {
        synchronized (idle) {
            return idle.size();
        }
    }
}
