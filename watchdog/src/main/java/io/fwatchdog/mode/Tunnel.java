package io.fwatchdog.mode;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.List;

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

    /**
     * Joins {@code a} and {@code b} byte for byte, on their shared event loop: each pipeline
     * keeps a tunnel (the one it has, which may already hold bytes, or a new one at its end) and
     * loses every other handler, removed from the tunnel's side towards the socket so that what a
     * decoder or a flow-control queue held passes on to the tunnel as it goes.
     */
    public static void splice(Channel a, Channel b) {
        Tunnel toB = takeOver(a.pipeline());
        Tunnel toA = takeOver(b.pipeline());
        toB.connect(b);
        toA.connect(a);
    }

    private static Tunnel takeOver(ChannelPipeline pipeline) {
        Tunnel tunnel = pipeline.get(Tunnel.class);
        if (tunnel == null) {
            tunnel = new Tunnel();
            pipeline.addLast(tunnel);
        }
        String own = pipeline.context(tunnel).name();
        List<String> names = pipeline.names();
        for (int i = names.size() - 1; i >= 0; i--) {
            String name = names.get(i);
            if (!name.equals(own) && pipeline.get(name) != null) {
                pipeline.remove(name);
            }
        }
        return tunnel;
    }

    /** Starts relaying to {@code peer}; called on the channel's event loop. */
    private void connect(Channel peer) {
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
