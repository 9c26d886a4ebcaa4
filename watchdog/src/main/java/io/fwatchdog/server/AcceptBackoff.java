package io.fwatchdog.server;

import io.fwatchdog.log.Log;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a listener alive through a shortage of file descriptors. When accepting fails (EMFILE,
 * ENFILE, ENOBUFS), the listener stops accepting for {@link #PAUSE_MILLIS} and tries again, so it
 * neither spins on the failure nor gives up; connections wait in the backlog meanwhile. Failures
 * are reported through the watchdog's log, at most once per {@link #REPORT_NANOS}, and end here:
 * at the pipeline's tail Netty would log them through JUL, whose formatter loads the time-zone
 * database on first use, a file it cannot open without a descriptor, and the resulting
 * NoClassDefFoundError would end the event loop.
 */
final class AcceptBackoff extends ChannelInboundHandlerAdapter {
    static final long PAUSE_MILLIS = 100;
    static final long REPORT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String setting;
    private Runnable resume;
    private long nextReport = System.nanoTime();
    private int unreported;
    private boolean failing;

    /** @param setting the variable that names the port, for the log: {@code port}, {@code metrics_port} */
    AcceptBackoff(String setting) {
        this.setting = setting;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // Made now rather than at the first failure, when loading anything may be impossible.
        ChannelConfig config = ctx.channel().config();
        resume = () -> config.setAutoRead(true);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object child) {
        if (failing) {
            failing = false;
            Log.info("accepting connections on " + listener(ctx) + " again");
        }
        ctx.fireChannelRead(child);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failing = true;
        unreported++;
        long now = System.nanoTime();
        if (now - nextReport >= 0) {
            Log.warn("cannot accept connections on " + listener(ctx) + " (" + cause.getMessage() + "); trying again every "
                    + PAUSE_MILLIS + " ms" + (unreported > 1 ? " (" + unreported + " failures since the last report)" : ""));
            unreported = 0;
            nextReport = now + REPORT_NANOS;
        }
        ChannelConfig config = ctx.channel().config();
        if (config.isAutoRead()) {
            config.setAutoRead(false);
            ctx.executor().schedule(resume, PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private String listener(ChannelHandlerContext ctx) {
        return setting + " " + ((InetSocketAddress) ctx.channel().localAddress()).getPort();
    }
}
