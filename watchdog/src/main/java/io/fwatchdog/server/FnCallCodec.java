package io.fwatchdog.server;

import io.fwatchdog.mode.http.FnProtocol;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;

/**
 * On the Fn listener, just after the front's codec: turns each agent's {@code POST /call} into
 * the plain request it stands for, and the response to it into the call's answer
 * ({@link FnProtocol#incoming}, {@link FnProtocol#toAgent}), so that every handler after it and
 * every mode sees an ordinary request. Bodies pass through untouched, framed by the hop.
 *
 * <p>What is not a call (another method or path, an unreadable {@code Fn-*} header) is refused
 * as malformed input is, with a 400 at the hop, and that answer is not translated.
 */
final class FnCallCodec extends ChannelDuplexHandler {
    /** The call whose response is the next to leave; null when that response is the hop's own. */
    private FnCallRequest current;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpRequest hop) || hop.decoderResult().isFailure()) {
            if (msg instanceof HttpRequest) {
                current = null;
            }
            ctx.fireChannelRead(msg);
            return;
        }
        switch (FnProtocol.incoming(hop)) {
            case FnProtocol.Incoming.Request call -> {
                current = new FnCallRequest(call.method(), call.uri(), call.headers(), call.deadline());
                ctx.fireChannelRead(current);
            }
            case FnProtocol.Incoming.Invalid invalid -> {
                current = null;
                // The hop's framing stays, so the front knows whether a body follows to be dropped.
                HttpRequest refused = new DefaultHttpRequest(hop.protocolVersion(), hop.method(), hop.uri(), hop.headers());
                refused.setDecoderResult(DecoderResult.failure(
                        new FrontCodec.Refusal(HttpResponseStatus.BAD_REQUEST, invalid.reason())));
                ctx.fireChannelRead(refused);
            }
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response && current != null
                && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
            FnProtocol.toAgent(response, current.watchdogFailure, current.method().equals(HttpMethod.HEAD));
            current = null;
        }
        ctx.write(msg, promise);
    }
}
