package io.fwatchdog.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.flow.FlowControlHandler;

/** The pipeline of one client connection. */
final class FrontInitializer extends ChannelInitializer<SocketChannel> {
    /** Longest request line; the rest of the header budget is {@code max_header_size}. */
    private static final int MAX_REQUEST_LINE = 16 * 1024;

    private final Front front;

    FrontInitializer(Front front) {
        this.front = front;
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast(new FrontCodec(MAX_REQUEST_LINE, front.config.maxHeaderSize()));
        pipeline.addLast(new HttpServerExpectContinueHandler());
        pipeline.addLast(new FlowControlHandler());
        pipeline.addLast(new PulledReads());
        pipeline.addLast(new ReservedEndpoints(front));
        pipeline.addLast(new FrontHandler(front));
    }
}
