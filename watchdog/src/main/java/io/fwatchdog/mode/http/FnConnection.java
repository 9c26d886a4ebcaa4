package io.fwatchdog.mode.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.pool.ChannelPool;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

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

    /** The pool the calls on {@code loop} use: this one connection, made on {@code loop}. */
    ChannelPool on(EventLoop loop) {
        return new ChannelPool() {
            @Override
            public Future<Channel> acquire() {
                return acquire(loop.newPromise());
            }

            @Override
            public Future<Channel> acquire(Promise<Channel> promise) {
                return FnConnection.this.acquire(loop, promise);
            }

            @Override
            public Future<Void> release(Channel channel) {
                return release(channel, loop.newPromise());
            }

            @Override
            public Future<Void> release(Channel channel, Promise<Void> promise) {
                FnConnection.this.release(channel);
                return promise.setSuccess(null);
            }

            @Override
            public void close() {
                FnConnection.this.close();
            }
        };
    }

    private Future<Channel> acquire(EventLoop loop, Promise<Channel> promise) {
        Channel reuse;
        synchronized (this) {
            inUse++;
            reuse = idle;
            idle = null;
        }
        if (reuse != null && reuse.isActive() && reuse.eventLoop() == loop) {
            return promise.setSuccess(reuse);
        }
        if (reuse != null) {
            reuse.close();
        }
        ChannelFuture connect = bootstrap.clone(loop).connect();
        connect.addListener(done -> {
            if (done.isSuccess()) {
                promise.setSuccess(connect.channel());
            } else {
                synchronized (this) {
                    inUse--;
                }
                promise.setFailure(done.cause());
            }
        });
        return promise;
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
