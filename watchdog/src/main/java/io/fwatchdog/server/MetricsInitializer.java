package io.fwatchdog.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerCodec;

/** The pipeline of one connection to the metrics listener. */
final class MetricsInitializer extends ChannelInitializer<Channel> {
    private final MetricsServer server;

    MetricsInitializer(MetricsServer server) {
        this.server = server;
    }

    @Override
    protected void initChannel(Channel channel) {
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast(new HttpServerCodec());
        // One decoded message per read(): pipelined requests wait while a scrape is answered.
        pipeline.addLast(new PulledReads());
        pipeline.addLast(new MetricsHandler(server));
    }
}
