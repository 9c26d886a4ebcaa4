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
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.List;

/**
 * HTTP/1.1 server codec: Netty's request decoder and response encoder, made strict where a
 * proxy in front of another parser must be (RFC 9112). Netty parses; this class only refuses
 * what Netty would let through, and says why.
 *
 * <ul>
 *   <li>The request line is exactly {@code method SP request-target SP HTTP/1.x}: one space
 *       between the parts, no tabs, the version spelled {@code HTTP/1.1} or {@code HTTP/1.0}
 *       (any other well-formed version is 505).</li>
 *   <li>The request target holds no control bytes. Bytes from 0x80 up must be UTF-8 and are
 *       decoded as such, so that everything downstream (the upstream's request line, the fork
 *       modes' environment, both written as UTF-8) carries exactly the bytes received.</li>
 *   <li>Targets are origin-form ({@code /path?query}); an absolute-form target is reduced to
 *       origin-form with Host taken from its authority (RFC 9112 §3.2.2). CONNECT is 501: the
 *       watchdog is no forward proxy.</li>
 *   <li>An HTTP/1.1 request has exactly one Host header (§3.2); at most {@link #MAX_HEADERS}
 *       header fields (431).</li>
 *   <li>Both {@code Content-Length} and {@code Transfer-Encoding} are refused rather than
 *       repaired: a proxy in front may have framed the request the other way (§6.3). So is a
 *       coding besides {@code chunked}: the watchdog undoes only the chunking.</li>
 *   <li>The encoder remembers each request's method so a response to HEAD carries headers
 *       only, whatever the mode writes.</li>
 * </ul>
 *
 * <p>Such requests leave the decoder marked failed, which the front answers with the status of
 * the {@link Refusal} (400 for anything else Netty finds) and a close.
 */
final class FrontCodec extends CombinedChannelDuplexHandler<FrontCodec.Decoder, FrontCodec.Encoder> {
    /** Header fields a request may have; far above what clients and gateways send. */
    static final int MAX_HEADERS = 1000;

    FrontCodec(int maxInitialLineLength, int maxHeaderSize) {
        ArrayDeque<HttpMethod> methods = new ArrayDeque<>();
        HttpDecoderConfig config = new HttpDecoderConfig()
                .setMaxInitialLineLength(maxInitialLineLength)
                .setMaxHeaderSize(maxHeaderSize)
                .setMaxChunkSize(64 * 1024)
                .setAllowDuplicateContentLengths(false)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true);
        init(new Decoder(config, methods), new Encoder(methods));
    }

    /** Why a request was refused, and with which status. */
    static final class Refusal extends RuntimeException {
        final HttpResponseStatus status;

        Refusal(HttpResponseStatus status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
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
                        try {
                            check(request);
                        } catch (Refusal refusal) {
                            request.setDecoderResult(DecoderResult.failure(refusal));
                        }
                    }
                }
            }
        }

        // Netty splits the request line on runs of spaces and tabs and hands over each word as
        // (line, start, length): the bytes before a word tell how it was separated.

        @Override
        protected String splitSecondWordInitialLine(byte[] line, int start, int length) {
            requireSingleSpaceBefore(line, start);
            int end = start + length;
            for (int i = start; i < end; i++) {
                if (line[i] < 0) {
                    return utf8(line, start, end);
                }
                if (line[i] < 0x21 || line[i] == 0x7f) {
                    throw new Refusal(HttpResponseStatus.BAD_REQUEST, "control byte 0x"
                            + HexFormat.of().toHexDigits(line[i]) + " in the request target");
                }
            }
            return new String(line, start, length, StandardCharsets.ISO_8859_1);
        }

        @Override
        protected String splitThirdWordInitialLine(byte[] line, int start, int length) {
            requireSingleSpaceBefore(line, start);
            String version = new String(line, start, length, StandardCharsets.ISO_8859_1);
            if (version.equals("HTTP/1.1") || version.equals("HTTP/1.0")) {
                return version;
            }
            if (version.matches("HTTP/[0-9]\\.[0-9]")) {
                throw new Refusal(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                        version + " is not supported; use HTTP/1.1");
            }
            throw new Refusal(HttpResponseStatus.BAD_REQUEST, "the request line does not end in HTTP/1.1");
        }

        private static void requireSingleSpaceBefore(byte[] line, int start) {
            if (start < 2 || line[start - 1] != ' ' || isBlank(line[start - 2])) {
                throw new Refusal(HttpResponseStatus.BAD_REQUEST,
                        "the parts of the request line must be separated by single spaces");
            }
        }

        private static boolean isBlank(byte b) {
            return b == ' ' || b == '\t' || b == 0x0b || b == '\f' || b == '\r';
        }

        private static String utf8(byte[] line, int start, int end) {
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(line, start, end - start))
                        .toString();
            } catch (CharacterCodingException e) {
                throw new Refusal(HttpResponseStatus.BAD_REQUEST,
                        "the request target holds bytes that are not UTF-8; percent-encode them");
            }
        }

        private static void check(HttpRequest request) {
            if (request.method().equals(HttpMethod.CONNECT)) {
                throw new Refusal(HttpResponseStatus.NOT_IMPLEMENTED,
                        "CONNECT is not supported: the watchdog is not a forward proxy");
            }
            HttpHeaders headers = request.headers();
            if (headers.size() > MAX_HEADERS) {
                throw new Refusal(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                        "more than " + MAX_HEADERS + " request header fields");
            }
            for (String value : headers.getAll(HttpHeaderNames.TRANSFER_ENCODING)) {
                for (String coding : value.split(",")) {
                    if (!coding.trim().equalsIgnoreCase("chunked")) {
                        throw new Refusal(HttpResponseStatus.BAD_REQUEST,
                                "Transfer-Encoding " + coding.trim() + " is not supported; only chunked is");
                    }
                }
            }
            int hosts = headers.getAll(HttpHeaderNames.HOST).size();
            if (hosts > 1) {
                throw new Refusal(HttpResponseStatus.BAD_REQUEST, "more than one Host header");
            }
            String uri = request.uri();
            if (!uri.startsWith("/")) {
                toOriginForm(request, uri);
            } else if (hosts == 0 && request.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
                throw new Refusal(HttpResponseStatus.BAD_REQUEST, "an HTTP/1.1 request needs a Host header");
            }
        }

        /** {@code http://authority/path?query} becomes {@code /path?query} with Host: authority. */
        private static void toOriginForm(HttpRequest request, String uri) {
            int scheme = uri.indexOf("://");
            String name = scheme < 0 ? "" : uri.substring(0, scheme);
            if (!name.equalsIgnoreCase("http") && !name.equalsIgnoreCase("https")) {
                throw new Refusal(HttpResponseStatus.BAD_REQUEST,
                        "the request target must be a path (/...) or an http URL");
            }
            int from = scheme + 3;
            int path = from;
            while (path < uri.length() && "/?#".indexOf(uri.charAt(path)) < 0) {
                path++;
            }
            String authority = uri.substring(from, path);
            if (authority.isEmpty() || authority.indexOf('@') >= 0) {
                throw new Refusal(HttpResponseStatus.BAD_REQUEST, "the request target's authority must be host[:port]");
            }
            String rest = uri.substring(path);
            request.setUri(rest.startsWith("/") ? rest : "/" + rest);
            request.headers().set(HttpHeaderNames.HOST, authority);
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
            if (msg instanceof HttpResponse response && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
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
