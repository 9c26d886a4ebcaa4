package io.fwatchdog.mode.afterburn;

import io.fwatchdog.process.ExitReason;
import io.fwatchdog.mode.BodyBuffer;
import io.fwatchdog.mode.Call;
import io.fwatchdog.mode.Exchange;
import io.fwatchdog.mode.ProxyHeaders;
import io.fwatchdog.mode.Responses;
import io.fwatchdog.mode.StdinPump;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One request served by a hot process, on the client connection's event loop.
 *
 * <pre>
 *   client ──body──▶ StdinPump ──head + body (Content-Length)──▶ worker stdin
 *   client ◀──head, body as it comes── decoder ◀──stdout── worker
 * </pre>
 *
 * <p>A Content-Length body is streamed to the process, one batch in flight, and one of at most
 * {@link #ONE_WRITE} bytes goes in a single write with its head; a chunked body is collected
 * first (up to {@code max_body_size}, else 413), since the process is always told the length. The response is relayed as it is decoded; stdout is read no faster than the client
 * takes it. {@code exec_timeout} bounds the time to the response head (504);
 * {@code write_timeout} the whole response. Whenever the exchange ends with the process in an
 * unknown state (a timeout, a malformed response, a client gone mid-exchange), the process is
 * retired rather than reused.
 */
final class AfterburnCall implements Call, Worker.Receiver {
    /** Spelled as the historical afterburn libraries look it up, case-sensitively. */
    private static final String CONTENT_LENGTH = "Content-Length";
    /** How long a write to stdin may still take once the response has ended. */
    private static final long UNREAD_PATIENCE_MS = 1000;
    /** Most request bytes held while the previous batch is written to stdin. */
    private static final int READ_AHEAD = 256 * 1024;
    /**
     * Bodies up to this size go to the process in one write with their head: the historical
     * afterburn loops take a request from a single read of stdin, and a pipe read returns at
     * most what one write put in it, up to what the reader asks for (64 KiB in Node's streams).
     */
    static final int ONE_WRITE = 64 * 1024;

    private final AfterburnMode mode;
    private final Exchange exchange;
    private final EventLoop loop;
    private final HttpRequest request;
    private final boolean toHead;
    /** Set for a chunked body, which is collected before a worker is asked for. */
    private BodyBuffer collecting;
    private long length;
    private Runnable withdraw;
    private Worker worker;

    // The request's way in.
    private final StdinPump stdin;
    private boolean requestSent;
    /** Runs out the patience with a process that answered while its request was still being written. */
    private ScheduledFuture<?> unreadTimer;

    // The response's way out.
    private boolean headReceived;
    private boolean responseEnded;
    /** The exchange is over as far as this call is concerned. */
    private boolean over;

    AfterburnCall(AfterburnMode mode, Exchange exchange) {
        this.mode = mode;
        this.exchange = exchange;
        this.loop = exchange.eventLoop();
        this.request = exchange.request();
        this.toHead = request.method().equals(HttpMethod.HEAD);
        this.stdin = new StdinPump(exchange, mode.pool.io(), READ_AHEAD, false, this::sent);
        // Not from here: the front may deliver a body piece within requestBody(), and until this
        // constructor returns it has no call to give it to.
        loop.execute(this::start);
    }

    private void start() {
        if (over || exchange.done()) {
            return;
        }
        if (HttpUtil.isTransferEncodingChunked(request)) {
            var buffer = BodyBuffer.open(exchange, mode.config.maxBodySize());
            if (buffer.isEmpty()) {
                over = true; // 413 answered
                return;
            }
            collecting = buffer.get();
            exchange.requestBody();
            return;
        }
        length = Math.max(0, HttpUtil.getContentLength(request, 0L));
        if (length == 0) {
            stdin.add(Unpooled.EMPTY_BUFFER, true); // nothing after the head; the front discards the empty body
        } else {
            stdin.requestMore();
        }
        acquire();
    }

    private void acquire() {
        withdraw = mode.pool.acquire(loop, this::assigned);
        if (withdraw == null) {
            over = true;
            releaseHeld();
            exchange.fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "the function's processes are stopping");
        }
    }

    private void assigned(Worker assigned) {
        withdraw = null;
        if (over || exchange.done()) {
            mode.pool.release(assigned, false, null, null); // nothing was sent to it: as good as before
            return;
        }
        ByteBuf head = assigned.begin(this, wireRequest(), exchange.callId());
        if (head == null) {
            // It died while it was being handed over; the pool retires it. Ask again.
            mode.pool.release(assigned, false, null, ExitReason.KILLED);
            acquire();
            return;
        }
        worker = assigned;
        stdin.attach(assigned.process.stdin(), head, length <= ONE_WRITE);
    }

    /** The request as the process sees it: hop-by-hop headers gone, the length always stated. */
    private FullHttpRequest wireRequest() {
        HttpHeaders headers = request.headers().copy();
        ProxyHeaders.stripHopByHop(headers);
        headers.remove(HttpHeaderNames.EXPECT); // answered by the front; the body follows at once
        headers.remove(HttpHeaderNames.CONTENT_LENGTH);
        ProxyHeaders.addForwarded(headers, exchange.remoteAddress());
        headers.set(CONTENT_LENGTH, length);
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(), request.uri(),
                Unpooled.EMPTY_BUFFER, headers, EmptyHttpHeaders.INSTANCE);
    }

    // ---- request body ----

    @Override
    public void onBody(HttpContent piece) {
        if (over) {
            piece.release();
        } else if (collecting == null) {
            stdin.onBody(piece);
        } else if (!collecting.add(piece)) {
            over = true; // 413 answered
            collecting = null;
        } else if (piece instanceof LastHttpContent) {
            ByteBuf body = collecting.take();
            length = body.readableBytes();
            collecting = null;
            stdin.add(body, true);
            acquire();
        } else {
            exchange.requestBody();
        }
    }

    /** The pump is done: the whole request is in the pipe, or the process closed its stdin. */
    private void sent(boolean whole) {
        requestSent = true;
        if (!whole) {
            return; // it exited or will answer without the rest; the response side decides
        }
        if (unreadTimer != null) {
            // Only the whole request, written within the patience, clears a process that answered early.
            unreadTimer.cancel(false);
            unreadTimer = null;
        }
        maybeRelease();
    }

    private void releaseHeld() {
        stdin.stop();
        if (collecting != null) {
            collecting.release();
            collecting = null;
        }
    }

    // ---- response ----

    @Override
    public void received(List<HttpObject> pieces) {
        loop.execute(() -> deliver(pieces));
    }

    @Override
    public void outputLost(String why) {
        Worker lost = worker;
        if (lost == null) {
            return;
        }
        // Say how it ended when it did: the exit normally follows the end of stdout at once.
        lost.process.onExit().completeOnTimeout(null, 500, TimeUnit.MILLISECONDS)
                .whenComplete((status, error) -> loop.execute(() -> {
                    if (worker == lost) {
                        fault(HttpResponseStatus.BAD_GATEWAY, status == null ? why
                                : status + " before completing its response");
                    }
                }));
    }

    private void deliver(List<HttpObject> pieces) {
        Worker from = worker;
        if (from == null || over || exchange.done()) {
            pieces.forEach(ReferenceCountUtil::release);
            if (from != null) {
                from.resume();
            }
            return;
        }
        for (int i = 0; i < pieces.size(); i++) {
            HttpObject piece = pieces.get(i);
            if (worker == null || over) {
                ReferenceCountUtil.release(piece);
                continue;
            }
            if (piece.decoderResult().isFailure()) {
                ReferenceCountUtil.release(piece);
                fault(HttpResponseStatus.BAD_GATEWAY, "wrote a malformed response: " + piece.decoderResult().cause().getMessage());
                continue;
            }
            if (piece instanceof HttpResponse head) {
                if (respond(head, pieces, i)) {
                    return; // the whole response went out in one write
                }
            }
            if (piece instanceof HttpContent content) {
                body(content);
            }
        }
        if (worker != null && !responseEnded) {
            exchange.whenWritable(from::resume);
        }
    }

    /**
     * Answers with {@code head}; when the rest of the response is in {@code pieces} too, sends
     * it all at once and returns true (every piece from {@code at} on is consumed).
     */
    private boolean respond(HttpResponse head, List<HttpObject> pieces, int at) {
        headReceived = true;
        if (head.status().code() == 101) {
            fault(HttpResponseStatus.BAD_GATEWAY, "switched protocols, which stdio cannot carry");
            return false;
        }
        if (!Worker.framed(head, toHead)) {
            fault(HttpResponseStatus.BAD_GATEWAY, "answered with neither Content-Length nor chunked encoding");
            return false;
        }
        HttpResponseStatus status = head.status().reasonPhrase().isEmpty()
                ? HttpResponseStatus.valueOf(head.status().code()) : head.status();
        HttpHeaders headers = head.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(head);
        ProxyHeaders.fromFunction(headers);
        int last = lastIndex(pieces, at);
        if (last >= 0) {
            // Complete in this read: one write, with a Content-Length the client can rely on.
            CompositeByteBuf body = exchange.alloc().compositeBuffer(Integer.MAX_VALUE);
            for (int i = at + 1; i <= last; i++) {
                body.addComponent(true, ((HttpContent) pieces.get(i)).content().retain());
                ReferenceCountUtil.release(pieces.get(i));
            }
            releaseFrom(pieces, last + 1);
            if (!toHead) {
                headers.set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            }
            responseEnded = true;
            exchange.send(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body, headers,
                    EmptyHttpHeaders.INSTANCE));
            maybeRelease();
            return true;
        }
        if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        exchange.respond(new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, headers));
        return false;
    }

    /** Index of the response's last piece in {@code pieces} after {@code from}, or -1. */
    private static int lastIndex(List<HttpObject> pieces, int from) {
        for (int i = from + 1; i < pieces.size(); i++) {
            HttpObject piece = pieces.get(i);
            if (piece.decoderResult().isFailure()) {
                return -1;
            }
            if (piece instanceof LastHttpContent) {
                return i;
            }
        }
        return -1;
    }

    private static void releaseFrom(List<HttpObject> pieces, int from) {
        for (int i = from; i < pieces.size(); i++) {
            ReferenceCountUtil.release(pieces.get(i));
        }
    }

    private void body(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        ByteBuf bytes = content.content();
        if (bytes.isReadable()) {
            exchange.write(bytes.retain());
        }
        content.release();
        if (last) {
            responseEnded = true;
            exchange.end();
            maybeRelease();
        }
    }

    /** Gives the worker back once both directions are complete. */
    private void maybeRelease() {
        if (!responseEnded || worker == null) {
            return;
        }
        if (stdin.writing() && !requestSent) {
            // The response can overtake the report that the last write completed; give the write
            // a moment. A process that answered without reading its input never lets it complete.
            if (unreadTimer == null) {
                unreadTimer = loop.schedule(this::answeredUnread, UNREAD_PATIENCE_MS, TimeUnit.MILLISECONDS);
            }
            return;
        }
        Worker done = worker;
        worker = null;
        done.detach(this);
        releaseHeld();
        // A process that answered before it took its whole request would read the rest as the next one.
        boolean unread = !requestSent || done.process.unreadInput() > 0;
        mode.pool.release(done, true, unread ? "answered before it read its whole request" : null, ExitReason.KILLED);
    }

    private void answeredUnread() {
        unreadTimer = null;
        Worker done = worker;
        if (done == null) {
            return;
        }
        worker = null;
        done.detach(this);
        releaseHeld();
        mode.pool.release(done, true, "answered before it read its whole request", ExitReason.KILLED);
    }

    /** The worker misbehaved: the client gets {@code status} (or a cut response), the worker is retired. */
    private void fault(HttpResponseStatus status, String why) {
        Worker bad = worker;
        worker = null;
        over = true;
        releaseHeld();
        exchange.fail(status, "function process " + why);
        if (bad != null) {
            bad.detach(this);
            mode.pool.release(bad, false, why, ExitReason.KILLED);
        }
    }

    @Override
    public void onTimeout() {
        if (over || headReceived || collecting != null) {
            return; // from the head on, write_timeout bounds the response; read_timeout bounds a slow body
        }
        if (worker == null) {
            cancelWait();
            over = true;
            releaseHeld();
            exchange.fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "no function process became free within exec_timeout ("
                    + Responses.duration(mode.config.execTimeout()) + "): workers=" + mode.config.workers());
            return;
        }
        Worker late = worker;
        worker = null;
        over = true;
        releaseHeld();
        late.detach(this);
        exchange.fail(HttpResponseStatus.GATEWAY_TIMEOUT, "function did not answer within exec_timeout ("
                + Responses.duration(mode.config.execTimeout()) + ")");
        mode.pool.release(late, false, "did not answer within exec_timeout", ExitReason.TIMEOUT);
    }

    @Override
    public void cancel() {
        over = true;
        if (unreadTimer != null) {
            unreadTimer.cancel(false);
            unreadTimer = null;
        }
        cancelWait();
        releaseHeld();
        Worker abandoned = worker;
        worker = null;
        if (abandoned != null) {
            abandoned.detach(this);
            mode.pool.release(abandoned, false, "lost its client in the middle of a request", ExitReason.KILLED);
        }
    }

    private void cancelWait() {
        if (withdraw != null) {
            withdraw.run();
            withdraw = null;
        }
    }
}
