package io.fwatchdog.mode;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * One side of a byte-for-byte relay between two channels, once an {@code Upgrade} (a websocket)
 * has switched the connection away from HTTP. Both channels read on demand: each side reads its
 * next piece only when the other side has written the previous one, so neither buffers more
 * than a read's worth. What arrives before the other side is connected is held until it is;
 * when either side closes, so does the other.
 */
public final class Tunnel extends ChannelInboundHandlerAdapter {
    private final ArrayDeque<Object> early = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private Channel peer;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Starts relaying to {@code peer}; called on the channel's event loop. */
    public void connect(Channel peer) {
        this.peer = peer;
        peer.closeFuture().addListener(closed -> ctx.close());
        Object held;
        while ((held = early.poll()) != null) {
            peer.write(held);
        }
        peer.flush();
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            // The end-of-message marker an HTTP decoder emits after the 101 itself: not bytes.
            ReferenceCountUtil.release(msg);
            ctx.read();
            return;
        }
        if (peer == null) {
            early.add(msg);
            return;
        }
        peer.writeAndFlush(msg).addListener(written -> {
            if (written.isSuccess()) {
                ctx.read();
            } else {
                ctx.close();
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseEarly();
        if (peer != null) {
            peer.close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseEarly();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void releaseEarly() {
        Object held;
        while ((held = early.poll()) != null) {
            ReferenceCountUtil.release(held);
        }
    }
}
