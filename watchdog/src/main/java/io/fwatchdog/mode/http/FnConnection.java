package io.fwatchdog.mode.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.util.AttributeKey;

/**
 * The one connection to an Fn FDK. Fn's contract is one call at a time over one connection,
 * and an FDK may serve only one connection at a time (the Java FDK accepts the next only when
 * the current one closes), so a second connection kept idle would leave a call waiting behind
 * it. Hence at most one connection is kept between calls, whichever event loop made it; a call
 * on another event loop closes it and connects anew on its own, so that an exchange still never
 * crosses threads.
 *
 * <p>The mode admits one call at a time; a connection released while another call already
 * holds a new one is closed, for the same reason.
 */
final class FnConnection {
    private static final AttributeKey<Boolean> WATCHED = AttributeKey.valueOf(FnConnection.class, "watched");

    private final Bootstrap bootstrap;
    /** Guarded by this. */
    private Channel idle;
    private int inUse;
    private boolean closed;

    /** @param bootstrap with the remote address and the pipeline's initializer, without an event loop */
    FnConnection(Bootstrap bootstrap) {
        this.bootstrap = bootstrap;
    }

    /** The connections the calls on {@code loop} use: this one connection, made on {@code loop}. */
    Connections on(EventLoop loop) {
        return new Connections() {
            @Override
            public void acquire(Taker taker) {
                FnConnection.this.acquire(loop, taker);
            }

            @Override
            public void release(Channel channel) {
                FnConnection.this.release(channel);
            }
        };
    }

    private void acquire(EventLoop loop, Connections.Taker taker) {
        Channel reuse;
        synchronized (this) {
            inUse++;
            reuse = idle;
            idle = null;
        }
        if (reuse != null && reuse.isActive() && reuse.eventLoop() == loop) {
            taker.acquired(reuse);
            return;
        }
        if (reuse != null) {
            reuse.close();
        }
        ChannelFuture connect = bootstrap.clone(loop).connect();
        connect.addListener(done -> {
            if (done.isSuccess()) {
                taker.acquired(connect.channel());
            } else {
                synchronized (this) {
                    inUse--;
                }
                taker.acquireFailed(done.cause());
            }
        });
    }

    private void release(Channel channel) {
        boolean keep;
        synchronized (this) {
            inUse--;
            keep = !closed && inUse == 0 && idle == null && channel.isActive();
            if (keep) {
                idle = channel;
            }
        }
        if (!keep) {
            channel.close();
            return;
        }
        if (channel.attr(WATCHED).setIfAbsent(Boolean.TRUE) == null) {
            channel.closeFuture().addListener(gone -> {
                synchronized (this) {
                    if (idle == channel) {
                        idle = null;
                    }
                }
            });
        }
        channel.read(); // idle: a pending read lets the channel see the FDK close it
    }

    /** Closes the idle connection and keeps none from now on. */
    void close() {
        Channel last;
        synchronized (this) {
            closed = true;
            last = idle;
            idle = null;
        }
        if (last != null) {
            last.close();
        }
    }
}
