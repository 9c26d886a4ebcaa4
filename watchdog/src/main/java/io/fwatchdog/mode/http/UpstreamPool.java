package io.fwatchdog.mode.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The upstream connections of one event loop, used only on that loop: no lock, and no promise
 * or future when an idle connection is at hand (the common case), which is handed over within
 * {@link #acquire}.
 *
 * <p>The most recently released connection is reused first, so under a steady load the same
 * few stay warm and the rest age out: each is closed after {@code idleTimeout} unused. A pending
 * read on every idle connection lets it see its upstream close it, and a closed connection
 * leaves the pool at once; one found closed on acquire is skipped all the same.
 *
 * <p>How many stay idle follows demand. Up to {@code minIdle} are kept whatever the load (the
 * fixed cap this pool used to have). Beyond that, a released connection is kept while the
 * connections open (in use and idle) are fewer than the most that were in use at once in the
 * last one to two {@code demandWindow}s, and at most {@code maxIdle} are idle: a loop serving 100
 * concurrent requests keeps about 100 connections instead of closing and reopening everything
 * above a fixed cap on every turn of the load. When demand falls, the surplus (least recently
 * used first) is closed within two windows, so a burst does not leave the function holding
 * hundreds of idle sockets (or, in a thread-per-connection server, threads) for the whole
 * idle timeout.
 */
final class UpstreamPool implements Connections {
    private final Bootstrap bootstrap;
    private final EventLoop loop;
    private final int minIdle;
    private final int maxIdle;
    private final long idleTimeoutNanos;
    private final long windowNanos;
    /** Drops a pooled connection that closed, idle or not: one listener for all of them. */
    private final ChannelFutureListener forget = closed -> remove(closed.channel());

    /** Idle connections, the least recently released first. */
    private final ArrayDeque<Idle> idle = new ArrayDeque<>();

    private record Idle(Channel channel, long sinceNanos) {}

    /** Handed out (or connecting) and not yet given back. */
    private int inUse;
    /** The most in use at once since {@link #windowStart}, and in the window before it. */
    private int peak;
    private int previousPeak;
    private long windowStart = System.nanoTime();

    private ScheduledFuture<?> sweep;
    private long sweepAt;
    private boolean closed;

    /**
     * @param bootstrap with the remote address, the pipeline's initializer and {@code loop}
     */
    UpstreamPool(Bootstrap bootstrap, EventLoop loop, int minIdle, int maxIdle, Duration idleTimeout, Duration demandWindow) {
        this.bootstrap = bootstrap;
        this.loop = loop;
        this.minIdle = minIdle;
        this.maxIdle = Math.max(minIdle, maxIdle);
        this.idleTimeoutNanos = idleTimeout.toNanos();
        this.windowNanos = demandWindow.toNanos();
    }

    @Override
    public void acquire(Taker taker) {
        assert loop.inEventLoop();
        while (!idle.isEmpty()) {
            Channel channel = idle.pollLast().channel();
            if (channel.isActive()) {
                taken();
                taker.acquired(channel);
                return;
            }
            channel.close(); // closing, its close listener not yet run
        }
        if (closed) {
            taker.acquireFailed(new IllegalStateException("the watchdog is stopping"));
            return;
        }
        taken();
        ChannelFuture connect = bootstrap.connect();
        connect.channel().closeFuture().addListener(forget);
        connect.addListener(done -> {
            if (done.isSuccess()) {
                taker.acquired(connect.channel());
            } else {
                inUse--;
                taker.acquireFailed(done.cause());
            }
        });
    }

    private void taken() {
        if (++inUse > peak) {
            peak = inUse;
        }
    }

    @Override
    public void release(Channel channel) {
        assert loop.inEventLoop();
        inUse--;
        if (closed || !channel.isActive()) {
            channel.close();
            return;
        }
        long now = System.nanoTime();
        roll(now);
        int size = idle.size();
        if (size >= minIdle && (size >= maxIdle || inUse + size >= recentPeak())) {
            channel.close(); // more than recent demand, or than the bound: the pool has enough
            return;
        }
        idle.addLast(new Idle(channel, now));
        channel.read(); // idle: a pending read lets the channel see the upstream close it
        scheduleSweep(now);
    }

    /** The most connections in use at once lately, the most worth keeping open. */
    private int recentPeak() {
        return Math.max(peak, previousPeak);
    }

    /** Starts a new demand window when the current one is over. */
    private void roll(long now) {
        if (now - windowStart >= windowNanos) {
            previousPeak = peak;
            peak = inUse;
            windowStart = now;
        }
    }

    /**
     * Makes sure a sweep comes when the oldest idle connection expires, or at the end of the
     * demand window while more than {@code minIdle} are idle. A pool with nothing idle schedules
     * nothing, and a busy one at most one sweep per window, not one per request.
     */
    private void scheduleSweep(long now) {
        if (idle.isEmpty()) {
            return;
        }
        long at = idle.peekFirst().sinceNanos() + idleTimeoutNanos;
        if (idle.size() > minIdle) {
            at = Math.min(at, now + windowNanos);
        }
        if (sweep != null) {
            if (sweepAt <= at) {
                return;
            }
            sweep.cancel(false);
        }
        sweepAt = at;
        sweep = loop.schedule(this::sweep, Math.max(at - now, TimeUnit.MILLISECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
    }

    /** Closes the expired connections and those beyond recent demand, oldest first. */
    private void sweep() {
        sweep = null;
        long now = System.nanoTime();
        roll(now);
        while (!idle.isEmpty() && now - idle.peekFirst().sinceNanos() >= idleTimeoutNanos) {
            idle.pollFirst().channel().close();
        }
        int keep = Math.max(minIdle, Math.min(maxIdle, recentPeak() - inUse));
        while (idle.size() > keep) {
            idle.pollFirst().channel().close();
        }
        scheduleSweep(now);
    }

    /** Closes the idle connections and keeps none from now on; callable from any thread. */
    void close() {
        if (loop.inEventLoop()) {
            closeNow();
            return;
        }
        try {
            loop.execute(this::closeNow);
        } catch (RejectedExecutionException shuttingDown) {
            // The loop is shutting down, and closes its connections itself.
        }
    }

    private void closeNow() {
        closed = true;
        if (sweep != null) {
            sweep.cancel(false);
            sweep = null;
        }
        while (!idle.isEmpty()) {
            idle.pollFirst().channel().close();
        }
    }

    /** Idle connections held now; on the pool's event loop. */
    int idleCount() {
        assert loop.inEventLoop();
        return idle.size();
    }

    /** Connections handed out and not yet given back; on the pool's event loop. */
    int inUseCount() {
        assert loop.inEventLoop();
        return inUse;
    }

    /** Drops {@code channel} from the idle ones, if it is there; rare (an upstream closed it). */
    private void remove(Channel channel) {
        idle.removeIf(entry -> entry.channel() == channel);
    }
}
