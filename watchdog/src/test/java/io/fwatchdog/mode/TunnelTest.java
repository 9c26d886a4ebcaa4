package io.fwatchdog.mode;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import org.junit.jupiter.api.Test;

/** Two channels joined byte for byte: no HTTP handler is left, and bytes flow both ways. */
class TunnelTest {

    private static String readOutbound(EmbeddedChannel channel) {
        StringBuilder text = new StringBuilder();
        for (ByteBuf piece = channel.readOutbound(); piece != null; piece = channel.readOutbound()) {
            text.append(piece.toString(US_ASCII));
            piece.release();
        }
        return text.toString();
    }

    @Test
    void relaysBytesBothWaysOnceEveryOtherHandlerIsGone() {
        EmbeddedChannel client = new EmbeddedChannel(new HttpServerCodec(), new FlowControlHandler());
        EmbeddedChannel upstream = new EmbeddedChannel(new HttpClientCodec());

        Tunnel.splice(client, upstream);

        assertThat(client.pipeline().toMap().values()).singleElement().isInstanceOf(Tunnel.class);
        assertThat(upstream.pipeline().toMap().values()).singleElement().isInstanceOf(Tunnel.class);
        client.writeInbound(Unpooled.copiedBuffer("\u0081\u0005hello", US_ASCII));
        assertThat(readOutbound(upstream)).isEqualTo("\u0081\u0005hello");
        upstream.writeInbound(Unpooled.copiedBuffer("not HTTP at all\r\n\r\n", US_ASCII));
        assertThat(readOutbound(client)).isEqualTo("not HTTP at all\r\n\r\n");
        assertThat(client.finishAndReleaseAll()).isFalse();
        assertThat(upstream.finishAndReleaseAll()).isFalse();
    }

    @Test
    void passesOnBytesAnUpstreamSentBeforeTheSplice() {
        EmbeddedChannel client = new EmbeddedChannel(new HttpServerCodec());
        EmbeddedChannel upstream = new EmbeddedChannel(new Tunnel());
        upstream.writeInbound(Unpooled.copiedBuffer("early", US_ASCII));

        Tunnel.splice(client, upstream);

        assertThat(readOutbound(client)).isEqualTo("early");
        assertThat(client.finishAndReleaseAll()).isFalse();
        assertThat(upstream.finishAndReleaseAll()).isFalse();
    }

    @Test
    void closingOneSideClosesTheOther() {
        EmbeddedChannel client = new EmbeddedChannel();
        EmbeddedChannel upstream = new EmbeddedChannel();
        Tunnel.splice(client, upstream);

        upstream.close();

        assertThat(client.isOpen()).isFalse();
    }
}
