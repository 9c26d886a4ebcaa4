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

    @Override
    public final boolean responseStarted() {
        return started;
    }

    @Override
    public final boolean done() {
        return done;
    }
}
