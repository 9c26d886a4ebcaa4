package io.fwatchdog.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;

/**
 * The pipeline of one client connection: a TCP one, or an Fn agent's on the Fn listener, where
 * {@link FnCallCodec} turns each call into a plain request just after the codec.
 */
final class FrontInitializer extends ChannelInitializer<Channel> {
    /** Longest request line; the rest of the header budget is {@code max_header_size}. */
    private static final int MAX_REQUEST_LINE = 16 * 1024;

    private final Front front;
    private final boolean fn;

    /** @param fn the connections are an Fn agent's, on the Fn listener */
    FrontInitializer(Front front, boolean fn) {
        this.front = front;
        this.fn = fn;
    }

    @Override
    protected void initChannel(Channel channel) {
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast(new FrontCodec(MAX_REQUEST_LINE, front.config.maxHeaderSize()));
        if (fn) {
            pipeline.addLast(new FnCallCodec());
        }
        pipeline.addLast(new HttpServerExpectContinueHandler());
        pipeline.addLast(new PulledReads());
        pipeline.addLast(new ReservedEndpoints(front));
        pipeline.addLast(new FrontHandler(front));
    }
}
