package io.fwatchdog.mode.http;

import io.fwatchdog.mode.Responses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One GET {@code ready_path} to the upstream on a fresh connection, for the supervisor's
 * start-up gate (docs/behaviour.md#http-mode). Blocking, on the supervisor's thread, like its connect probes; a
 * timer closes the socket when the time is up, which ends a connect or read in progress.
 * Netty's HTTP client codec, hosted in an {@link EmbeddedChannel}, writes the request and
 * reads the answer, so nothing is parsed by hand.
 */
final class ReadyPathCheck {
    private static final int READ_SIZE = 8192;

    /**
     * What the upstream said.
     *
     * @param listening it accepted the connection
     * @param status    the status it answered, 0 when it gave none
     * @param detail    the answer, or what went wrong, for the log
     */
    record Answer(boolean listening, int status, String detail) {
        boolean ready() {
            return HttpStatusClass.valueOf(status) == HttpStatusClass.SUCCESS;
        }
    }

    private ReadyPathCheck() {}

    /**
     * Sends GET {@code target} to {@code address} with {@code Host: host} and waits at most
     * {@code timeout} for the response head.
     */
    static Answer ask(SocketAddress address, String target, String host, Duration timeout) {
        SocketChannel channel;
        try {
            channel = address instanceof UnixDomainSocketAddress ? SocketChannel.open(StandardProtocolFamily.UNIX)
                    : SocketChannel.open();
        } catch (IOException e) {
            return new Answer(false, 0, "cannot open a socket: " + e.getMessage());
        }
        CompletableFuture<Void> deadline = new CompletableFuture<>();
        deadline.completeOnTimeout(null, Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS)
                .thenRun(() -> closeQuietly(channel));
        EmbeddedChannel codec = new EmbeddedChannel(new HttpClientCodec());
        boolean connected = false;
        try {
            channel.connect(address);
            connected = true;
            DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target,
                    Unpooled.EMPTY_BUFFER);
            request.headers()
                    .set(HttpHeaderNames.HOST, host)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                    .set(Responses.CALL_ID, Responses.newCallId());
            codec.writeOutbound(request);
            for (ByteBuf out; (out = codec.readOutbound()) != null; ) {
                try {
                    ByteBuffer bytes = out.nioBuffer();
                    while (bytes.hasRemaining()) {
                        channel.write(bytes);
                    }
                } finally {
                    out.release();
                }
            }
            ByteBuffer buffer = ByteBuffer.allocate(READ_SIZE);
            while (true) {
                buffer.clear();
                if (channel.read(buffer) < 0) {
                    return new Answer(true, 0, "closed the connection without answering");
                }
                codec.writeInbound(Unpooled.copiedBuffer(buffer.flip()));
                for (Object message; (message = codec.readInbound()) != null; ) {
                    try {
                        if (message instanceof HttpResponse response) {
                            if (response.decoderResult().isFailure()) {
                                return new Answer(true, 0, "answered with a malformed response");
                            }
                            if (response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
                                return new Answer(true, response.status().code(), "answered " + response.status());
                            }
                        }
                    } finally {
                        ReferenceCountUtil.release(message);
                    }
                }
            }
        } catch (ClosedChannelException e) {
            // Closed by the deadline (or by an interrupt at shutdown), whatever it was doing.
            return new Answer(connected, 0, connected ? "gave no answer in time" : "did not accept the connection in time");
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return new Answer(connected, 0, connected ? "failed: " + why : "does not accept connections");
        } finally {
            deadline.cancel(false);
            closeQuietly(channel);
            codec.finishAndReleaseAll();
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing is all that is left to do with it
        }
    }
}
