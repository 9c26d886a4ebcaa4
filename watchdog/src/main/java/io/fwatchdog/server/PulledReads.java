package io.fwatchdog.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Pulled reads for the handlers after it: with auto-read off, each {@code read()} from behind
 * delivers one decoded message, from the queue here or, when it is empty, from the socket.
 *
 * <p>Netty's {@code FlowControlHandler} does the queueing but never asks the socket for more
 * than it was asked: between two requests of a connection no read is pending, and the epoll
 * transport then drops the socket's interest in input and adds it again with the next read,
 * two {@code epoll_ctl} calls per request. Here a read is kept pending while the queue holds
 * at most one message (the empty end of a request without a body, typically), so the next
 * request finds the socket still watched. What that read brings waits in the queue: at most
 * one socket read's worth (a receive buffer) beyond one message, so backpressure holds.
 *
 * <p>A read asked for and not answered by the end of a socket read cycle (the bytes so far
 * were only part of a request) is asked for again, or the connection would stall with the
 * rest of the request unread.
 */
final class PulledReads extends ChannelDuplexHandler {
    /** Messages read ahead of demand, delivered one per {@code read()}. */
    private final ArrayDeque<Object> queue = new ArrayDeque<>(4);
    /** A read was asked for and no message has answered it yet. */
    private boolean wanted;
    /** A message went on during the current socket read cycle. */
    private boolean delivered;

    @Override
    public void read(ChannelHandlerContext ctx) {
        Object next = queue.poll();
        if (next != null) {
            ctx.fireChannelRead(next);
            ctx.fireChannelReadComplete();
            return;
        }
        wanted = true;
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (wanted && queue.isEmpty()) {
            wanted = false;
            delivered = true;
            ctx.fireChannelRead(msg);
        } else {
            queue.add(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (wanted || queue.size() <= 1) {
            ctx.read(); // towards the socket: keeps the input watched without delivering
        }
        if (delivered) {
            delivered = false;
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseQueued();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // Removed by a tunnel: what was read ahead belongs to the handlers after this one.
        Object held;
        while ((held = queue.poll()) != null) {
            ctx.fireChannelRead(held);
        }
    }

    private void releaseQueued() {
        Object held;
        while ((held = queue.poll()) != null) {
            ReferenceCountUtil.release(held);
        }
    }
}
