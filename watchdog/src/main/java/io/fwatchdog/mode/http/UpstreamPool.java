package io.fwatchdog.mode.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.ChannelPoolHandler;
import io.netty.channel.pool.SimpleChannelPool;
import io.netty.util.AttributeKey;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
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
    private static final AttributeKey<Boolean> WATCHED = AttributeKey.valueOf(UpstreamPool.class, "watched");

    /** An idle connection and when it became idle. */
    private record Idle(Channel channel, long sinceNanos) {}

    private final int maxIdle;
    private final long idleTimeoutNanos;
    /** Most recently released last, so the oldest are first; guarded by itself. */
    private final ArrayDeque<Idle> idle = new ArrayDeque<>();
    /** A sweep for expired connections is scheduled; guarded by {@link #idle}. */
    private boolean sweeping;

    UpstreamPool(Bootstrap bootstrap, ChannelPoolHandler handler, int maxIdle, Duration idleTimeout) {
        super(bootstrap, handler, ChannelHealthChecker.ACTIVE, true, true);
        this.maxIdle = maxIdle;
        this.idleTimeoutNanos = idleTimeout.toNanos();
    }

    /** A refusal makes the pool close the connection: there are enough idle ones already. */
    @Override
    protected boolean offerChannel(Channel channel) {
        boolean sweep;
        synchronized (idle) {
            if (idle.size() >= maxIdle) {
                return false;
            }
            idle.addLast(new Idle(channel, System.nanoTime()));
            sweep = !sweeping;
            sweeping = true;
        }
        if (channel.attr(WATCHED).setIfAbsent(Boolean.TRUE) == null) {
            channel.closeFuture().addListener(closed -> forget(channel));
        }
        if (sweep) {
            channel.eventLoop().schedule(() -> sweep(channel.eventLoop()), idleTimeoutNanos, TimeUnit.NANOSECONDS);
        }
        return true;
    }

    @Override
    protected Channel pollChannel() {
        synchronized (idle) {
            Idle last = idle.pollLast();
            return last == null ? null : last.channel();
        }
    }

    /**
     * Closes the connections idle for idle_timeout or longer (the oldest are first), then comes
     * back when the next one would expire. One sweep at a time per pool, and none while nothing
     * is idle: a busy pool schedules nothing per request.
     */
    private void sweep(io.netty.channel.EventLoop loop) {
        List<Channel> expired = new ArrayList<>();
        boolean again;
        long next = 0;
        synchronized (idle) {
            long now = System.nanoTime();
            while (!idle.isEmpty() && now - idle.peekFirst().sinceNanos() >= idleTimeoutNanos) {
                expired.add(idle.pollFirst().channel());
            }
            again = sweeping = !idle.isEmpty();
            if (again) {
                next = idle.peekFirst().sinceNanos() + idleTimeoutNanos - now;
            }
        }
        expired.forEach(Channel::close);
        if (again) {
            loop.schedule(() -> sweep(loop), Math.max(next, TimeUnit.MILLISECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
        }
    }

    private void forget(Channel channel) {
        synchronized (idle) {
            idle.removeIf(entry -> entry.channel() == channel);
        }
    }

    /** Idle connections held now, for tests and for the soak's accounting. */
    int idleCount() {
        synchronized (idle) {
            return idle.size();
        }
    }
}
