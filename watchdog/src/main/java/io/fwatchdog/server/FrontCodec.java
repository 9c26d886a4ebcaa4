package io.fwatchdog.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import java.util.ArrayDeque;
import java.util.List;

/**
 * HTTP/1.1 server codec: Netty's request decoder and response encoder, with two changes to
 * {@code HttpServerCodec}'s behaviour.
 *
 * <ul>
 *   <li>A request carrying both {@code Content-Length} and {@code Transfer-Encoding} is
 *       rejected rather than repaired: a proxy in front may have framed it the other way,
 *       which is how request smuggling works (RFC 9112 §6.3 lets a server refuse it).</li>
 *   <li>A request whose Transfer-Encoding names a coding besides {@code chunked} (such as
 *       {@code gzip, chunked}) is rejected: the watchdog undoes only the chunking, so the function
 *       would get a still-encoded body it was never told about.</li>
 *   <li>A request with more than one Host header is rejected (RFC 9112 §3.2): the watchdog, the
 *       function and an http-mode upstream could each pick a different one.</li>
 *   <li>The encoder remembers each request's method so a response to HEAD carries headers
 *       only, whatever the mode writes.</li>
 * </ul>
 *
 * <p>Such requests leave the decoder marked failed, which the front answers with 400 and a close.
 */
final class FrontCodec extends CombinedChannelDuplexHandler<FrontCodec.Decoder, FrontCodec.Encoder> {

    FrontCodec(int maxInitialLineLength, int maxHeaderSize) {
        ArrayDeque<HttpMethod> methods = new ArrayDeque<>();
        HttpDecoderConfig config = new HttpDecoderConfig()
                .setMaxInitialLineLength(maxInitialLineLength)
                .setMaxHeaderSize(maxHeaderSize)
                .setMaxChunkSize(64 * 1024)
                .setAllowDuplicateContentLengths(false)
                .setUseRfc9112TransferEncoding(true);
        init(new Decoder(config, methods), new Encoder(methods));
    }

    static final class Decoder extends HttpRequestDecoder {
        private final ArrayDeque<HttpMethod> methods;

        Decoder(HttpDecoderConfig config, ArrayDeque<HttpMethod> methods) {
            super(config);
            this.methods = methods;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            int before = out.size();
            super.decode(ctx, buffer, out);
            for (int i = before; i < out.size(); i++) {
                if (out.get(i) instanceof HttpRequest request) {
                    methods.addLast(request.method());
                    if (request.decoderResult().isSuccess()) {
                        refuseAmbiguous(request);
                    }
                }
            }
        }

        private static void refuseAmbiguous(HttpRequest request) {
            String problem = null;
            for (String value : request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING)) {
                for (String coding : value.split(",")) {
                    if (!coding.trim().equalsIgnoreCase("chunked")) {
                        problem = "Transfer-Encoding " + coding.trim() + " is not supported; only chunked is";
                    }
                }
            }
            if (request.headers().getAll(HttpHeaderNames.HOST).size() > 1) {
                problem = "more than one Host header";
            }
            if (problem != null) {
                request.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(problem)));
            }
        }

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            throw new IllegalArgumentException("both Content-Length and Transfer-Encoding are present");
        }
    }

    static final class Encoder extends HttpResponseEncoder {
        private final ArrayDeque<HttpMethod> methods;
        private HttpMethod method;

        Encoder(ArrayDeque<HttpMethod> methods) {
            this.methods = methods;
        }

        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpResponse response && response.status().codeClass() != io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
                method = methods.pollFirst();
            }
            super.encode(ctx, msg, out);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse response) {
            return HttpMethod.HEAD.equals(method) || super.isContentAlwaysEmpty(response);
        }
    }
}
