package io.fwatchdog.server;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.config.Config;
import io.fwatchdog.metrics.Metrics;
import io.fwatchdog.mode.Call;
import io.fwatchdog.mode.Exchange;
import io.fwatchdog.mode.Mode;
import io.fwatchdog.mode.Responses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The front of one connection on an {@link EmbeddedChannel}, with a mode that answers at once
 * with the request's path: keep-alive, pipelining, closing, and what is done with a body the
 * answer did not need. The end-to-end tests cover the same over real sockets.
 */
class FrontHandlerTest {
    /** Answers {@code 200 <path>} as soon as it is opened, or, with {@code /read}, once the body has come. */
    private static final class EchoPathMode implements Mode {
        final List<String> bodies = new ArrayList<>();

        @Override
        public Call open(Exchange exchange) {
            StringBuilder body = new StringBuilder();
            boolean reads = exchange.request().uri().equals("/read");
            if (!reads) {
                exchange.send(Responses.plain(exchange.alloc(), HttpResponseStatus.OK, exchange.request().uri()));
            } else {
                exchange.requestBody();
            }
            return new Call() {
                @Override
                public void onBody(HttpContent piece) {
                    body.append(piece.content().toString(US_ASCII));
                    boolean last = piece instanceof LastHttpContent;
                    piece.release();
                    if (last) {
                        bodies.add(body.toString());
                        exchange.send(Responses.plain(exchange.alloc(), HttpResponseStatus.OK, "read " + body));
                    } else {
                        exchange.requestBody();
                    }
                }

                @Override
                public void onTimeout() {}

                @Override
                public void cancel() {}
            };
        }

        @Override
        public void close() {}
    }

    private final EchoPathMode mode = new EchoPathMode();
    private final EmbeddedChannel channel = connection(mode);

    private static EmbeddedChannel connection(Mode mode) {
        Config config;
        try {
            config = Config.parse(Map.of("fprocess", "cat", "PATH", System.getenv("PATH")));
        } catch (io.fwatchdog.config.ConfigException e) {
            throw new AssertionError(e);
        }
        Health health = new Health(Optional.empty(), true);
        health.markAccepting();
        Front front = new Front(config, mode, health, Metrics.disabled());
        // Registered once reads are pulled, as the watchdog's connections are: the handler asks for each.
        EmbeddedChannel channel = new EmbeddedChannel(false, false, new FrontCodec(16 * 1024, 64 * 1024),
                new HttpServerExpectContinueHandler(), new PulledReads(), new ReservedEndpoints(front), new FrontHandler(front));
        channel.config().setAutoRead(false);
        try {
            channel.register();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return channel;
    }

    @AfterEach
    void finish() {
        channel.finishAndReleaseAll();
    }

    private void send(String bytes) {
        channel.writeInbound(Unpooled.copiedBuffer(bytes, US_ASCII));
        channel.runPendingTasks();
    }

    private String sent() {
        StringBuilder text = new StringBuilder();
        for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
            text.append(((ByteBuf) out).toString(US_ASCII));
            ((ByteBuf) out).release();
        }
        return text.toString();
    }

    @Test
    void answersPipelinedRequestsInOrderOnAKeptAliveConnection() {
        send("GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n");

        String out = sent();

        assertThat(out.indexOf("\r\n\r\n/one\n")).isPositive().isLessThan(out.indexOf("\r\n\r\n/two\n"));
        assertThat(out).doesNotContain("connection: close");
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void closesAfterAnswerWhenTheClientAsks() {
        send("GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        assertThat(sent()).contains("connection: close", "/bye");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void closesAfterAnHttp10RequestWithoutKeepAlive() {
        send("GET /old HTTP/1.0\r\n\r\n");

        assertThat(sent()).contains("/old");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void skipsTheRestOfABodilessRequestAndServesTheNext() {
        send("GET /first HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(sent()).contains("/first", "/second");
    }

    @Test
    void deliversAChunkedBodyToAModeThatReadsIt() {
        send("POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                + "GET /after HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(sent()).contains("read abcde", "/after");
        assertThat(mode.bodies).containsExactly("abcde");
    }

    @Test
    void closesAConnectionWhoseBodyTheAnswerDidNotReadRatherThanTakeItForTheNextRequest() {
        String body = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        send("POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);

        String out = sent();

        assertThat(out).contains("/early").doesNotContain("/smuggled");
        assertThat(mode.bodies).isEmpty();
    }

    @Test
    void answersHealthWithoutTheMode() {
        send("GET /_/health HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(sent()).startsWith("HTTP/1.1 200 OK").endsWith("OK\n");
        assertThat(mode.bodies).isEmpty();
    }
}
