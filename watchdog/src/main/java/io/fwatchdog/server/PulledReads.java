package io.fwatchdog.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;

/**
 * Keeps a pulled read alive behind a {@code FlowControlHandler}, for the handler after it. That
 * handler delivers one message per {@code read()} but counts a read as answered by the end of
 * the socket read cycle it was issued in, even when no message came of it (the bytes so far were
 * only part of a request). A read still wanted when the cycle ends is asked for again here, or
 * the connection would stall with the rest of the request unread.
 */
final class PulledReads extends ChannelDuplexHandler {
    /** A read was asked for and no message has answered it yet. */
    private boolean wanted;

    @Override
    public void read(ChannelHandlerContext ctx) {
        wanted = true;
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        wanted = false;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (wanted) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }
}
