package io.fwatchdog.server;

import io.fwatchdog.mode.Exchange;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpRequest;
import java.net.SocketAddress;

/**
 * What every exchange the front hands a mode has in common: the request, its call id, the client
 * connection whose event loop it runs on, and whether its response has started or ended. The
 * subclasses decide where the response goes: to the client, or into a readiness probe's result.
 */
abstract class ChannelExchange implements Exchange {
    final HttpRequest request;
    final String callId;
    final Channel channel;
    /** The response head has been taken; confined to the event loop, as is {@link #done}. */
    boolean started;
    boolean done;

    ChannelExchange(HttpRequest request, String callId, Channel channel) {
        this.request = request;
        this.callId = callId;
        this.channel = channel;
    }

    @Override
    public final HttpRequest request() {
        return request;
    }

    @Override
    public final String callId() {
        return callId;
    }

    @Override
    public final EventLoop eventLoop() {
        return channel.eventLoop();
    }

    @Override
    public final SocketAddress remoteAddress() {
        return channel.remoteAddress();
    }

    @Override
    public final ByteBufAllocator alloc() {
        return channel.alloc();
    }

    /** Marks the response as started; a second start, or one after the end, is a mode's bug. */
    final void markStarted() {
        if (done || started) {
            throw new IllegalStateException("response already started");
        }
        started = true;
    }

    /**
     * Ends the response, once; {@link #completeResponse} does what that means for the subclass.
     * Ending one that never started is a mode's bug.
     */
    @Override
    public final void end() {
        if (done) {
            return;
        }
        if (!started) {
            throw new IllegalStateException("end() before respond()");
        }
        completeResponse();
    }

    /** The started response is complete: its last bytes go out, or its result is kept. */
    abstract void completeResponse();

    @Override
    public final boolean responseStarted() {
        return started;
    }

    @Override
    public final boolean done() {
        return done;
    }
}
