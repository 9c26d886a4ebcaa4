package io.fwatchdog.mode.afterburn;

import io.fwatchdog.mode.ProxyHeaders;
import io.fwatchdog.process.ExitReason;
import io.fwatchdog.process.FunctionProcess;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * One hot process and the HTTP/1.1 conversation on its stdin and stdout, for the process's
 * whole life: requests are encoded and written to stdin one at a time, and stdout is read all
 * the time, through one response decoder, so that whatever the process writes, when it writes
 * it, is accounted for.
 *
 * <p>Output is delivered to the {@link Receiver} of the request in progress. Output while no
 * request is in progress, bytes left over after a response, a malformed response and a closed
 * stdout all taint the worker: the pool never hands it out again.
 *
 * <p>Threading: stdin is written and stdout read on the mode's I/O threads, one read in flight
 * at a time; the decoder is touched only by the read in flight, the encoder only by the
 * request's owner. The rest is guarded by this object's lock.
 */
final class Worker {
    /** Largest stdout read. */
    private static final int READ_BYTES = 64 * 1024;
    /** Longest status line accepted from a process. */
    private static final int MAX_STATUS_LINE = 8 * 1024;

    /** Whoever is owed the response now: the request's call. */
    interface Receiver {
        /**
         * Response pieces in order: a head, then contents, ending with a {@link LastHttpContent}
         * when the response is complete; the receiver owns them. A piece whose decoder result
         * failed ends the response. Called on an I/O thread; hand over to the event loop.
         */
        void received(List<HttpObject> pieces);

        /** The process's stdout ended (or failed) before the response did; {@code why} says how. */
        void outputLost(String why);
    }

    final FunctionProcess process;
    final long startedNanos = System.nanoTime();
    private final Executor io;
    private final ByteBufAllocator alloc;
    private final EmbeddedChannel encoder = new EmbeddedChannel(new HttpRequestEncoder());
    private final EmbeddedChannel decoder;
    private final Consumer<Worker> taintedIdle;

    // Guarded by this.
    private Receiver receiver;
    /** An interim (1xx) response is being skipped. */
    private boolean interim;
    /** Interim responses skipped for the current request. */
    private int interims;
    private String taint;
    private boolean readerParked;
    private boolean outputEnded;
    /** The request in progress is HEAD: its response has no body whatever its headers say. */
    private volatile boolean head;
    /** The call id of the request in progress, or of the last one, for the worker's log lines. */
    private volatile String callId;

    // Guarded by the pool's lock.
    int served;
    long idleSinceNanos;
    boolean retired;
    /** Why the pool ended the worker, for the exit's metric. */
    ExitReason endedBy;

    /**
     * @param maxHeaderSize largest response header block accepted
     * @param taintedIdle   told (on an I/O thread) when the worker is tainted while no request is in progress
     */
    Worker(FunctionProcess process, Executor io, ByteBufAllocator alloc, int maxHeaderSize, Consumer<Worker> taintedIdle) {
        this.process = process;
        this.io = io;
        this.alloc = alloc;
        this.taintedIdle = taintedIdle;
        HttpDecoderConfig config = new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_STATUS_LINE)
                .setMaxHeaderSize(maxHeaderSize)
                .setMaxChunkSize(READ_BYTES);
        this.decoder = new EmbeddedChannel(new ResponseDecoder(config));
    }

    /** Starts reading stdout, for good; call once. */
    void start() {
        io.execute(this::readOnce);
    }

    /**
     * Makes {@code next} the receiver of the next response, and encodes {@code request} (a
     * head whose Content-Length says how much body follows; its own content is ignored).
     *
     * @return the encoded head, for the caller to write to stdin; null when the
     *     worker turned out to be tainted (it died meanwhile), and the request was released
     */
    ByteBuf begin(Receiver next, FullHttpRequest request, String requestCallId) {
        synchronized (this) {
            if (taint != null) {
                request.release();
                return null;
            }
            receiver = next;
            interims = 0;
            head = request.method().equals(HttpMethod.HEAD);
            callId = requestCallId;
        }
        encoder.writeOutbound(request);
        CompositeByteBuf encoded = alloc.compositeBuffer();
        ByteBuf part;
        while ((part = encoder.readOutbound()) != null) {
            encoded.addComponent(true, part);
        }
        return encoded;
    }

    String callId() {
        return callId;
    }

    /** Marks the worker as not to be reused, for a fault its receiver found; the first reason stays. */
    synchronized void taint(String why) {
        if (taint == null) {
            taint = why;
        }
    }

    /** The receiver is done with this worker's output, complete or not: nothing more goes to it. */
    synchronized void detach(Receiver from) {
        if (receiver == from) {
            receiver = null;
        }
    }

    /** Why the worker must not serve again, or null while it may. */
    synchronized String taint() {
        return taint;
    }

    /** Asks for the next stdout read after a delivery: the receiver's client can take more. */
    void resume() {
        synchronized (this) {
            if (!readerParked) {
                return;
            }
            readerParked = false;
        }
        io.execute(this::readOnce);
    }

    /** The worker is being ended: its stdin is closed, and its stdout read to the end. */
    void close() {
        try {
            process.stdin().close();
        } catch (IOException ignored) {
            // already closed
        }
        resume();
    }

    /** One blocking read, its decoding, and the delivery of what it completed. */
    private void readOnce() {
        ByteBuf buf = alloc.directBuffer(READ_BYTES);
        int n;
        try {
            n = process.stdout().read(buf.nioBuffer(0, READ_BYTES));
        } catch (IOException e) {
            n = -1;
        }
        if (n < 0) {
            buf.release();
            ended();
            return;
        }
        buf.writerIndex(n);
        decoder.writeInbound(buf);
        List<HttpObject> pieces = new ArrayList<>();
        HttpObject piece;
        while ((piece = decoder.readInbound()) != null) {
            pieces.add(piece);
        }
        deliver(pieces, ((ResponseDecoder) decoder.pipeline().first()).buffered());
    }

    /**
     * Hands decoded pieces to the receiver up to the end of its response, and taints the worker
     * for anything outside a response. Parks the reader when body bytes went out, so stdout is
     * read no faster than the client takes it; otherwise reads on.
     */
    private void deliver(List<HttpObject> pieces, int buffered) {
        List<HttpObject> owed = new ArrayList<>(pieces.size());
        List<HttpObject> stray = new ArrayList<>();
        Receiver to;
        boolean readOn;
        boolean park = false;
        boolean strayWhileIdle = false;
        synchronized (this) {
            to = receiver;
            for (HttpObject piece : pieces) {
                if (receiver == null) {
                    stray.add(piece);
                    continue;
                }
                if (piece instanceof HttpResponse response && response.decoderResult().isSuccess()
                        && response.status().codeClass() == HttpStatusClass.INFORMATIONAL && response.status().code() != 101) {
                    interim = true; // 100 Continue, 103 Early Hints: not the answer
                    if (++interims > ProxyHeaders.MAX_INTERIM_RESPONSES) {
                        // Only ever saying "wait" is no answer: the receiver gets a malformed end.
                        ReferenceCountUtil.release(piece);
                        LastHttpContent broken = new DefaultLastHttpContent();
                        broken.setDecoderResult(DecoderResult.failure(new IllegalStateException(
                                "more than " + ProxyHeaders.MAX_INTERIM_RESPONSES + " interim (1xx) responses")));
                        owed.add(broken);
                        receiver = null;
                        interim = false;
                        continue;
                    }
                }
                if (interim) {
                    interim = !(piece instanceof LastHttpContent);
                    ReferenceCountUtil.release(piece);
                    continue;
                }
                owed.add(piece);
                park |= piece instanceof HttpContent content && content.content().isReadable();
                if (piece instanceof LastHttpContent || piece.decoderResult().isFailure()) {
                    receiver = null;
                }
            }
            if (!stray.isEmpty() || (receiver == null && buffered > 0)) {
                strayWhileIdle = to == null;
                taint = taint != null ? taint
                        : to == null ? "wrote output while it had no request" : "wrote bytes after its response";
            }
            if (owed.stream().anyMatch(p -> p.decoderResult().isFailure()) && taint == null) {
                taint = "wrote a malformed response";
            }
            readerParked = park && receiver != null;
            readOn = !readerParked;
        }
        stray.forEach(ReferenceCountUtil::release);
        if (!owed.isEmpty()) {
            to.received(owed);
        }
        if (strayWhileIdle) {
            taintedIdle.accept(this);
        }
        if (readOn) {
            io.execute(this::readOnce);
        }
    }

    /** stdout reached its end: the process exited or closed it. */
    private void ended() {
        Receiver lost;
        boolean idle;
        synchronized (this) {
            outputEnded = true;
            lost = receiver;
            receiver = null;
            idle = lost == null && taint == null;
            if (taint == null) {
                taint = "closed its stdout";
            }
        }
        try {
            process.stdout().close();
        } catch (IOException ignored) {
            // nothing to do
        }
        decoder.finishAndReleaseAll();
        if (lost != null) {
            lost.outputLost("closed its stdout before completing its response");
        }
        if (idle) {
            taintedIdle.accept(this);
        }
    }

    synchronized boolean outputEnded() {
        return outputEnded;
    }

    /** The response decoder, told which responses have no body (those to HEAD) and how much it holds. */
    private final class ResponseDecoder extends HttpResponseDecoder {
        ResponseDecoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage message) {
            return head || super.isContentAlwaysEmpty(message);
        }

        /** Bytes received and not yet decoded into anything. */
        int buffered() {
            return actualReadableBytes();
        }
    }

    /** True when {@code response} states how its body ends: a Content-Length, chunked, or no body at all. */
    static boolean framed(HttpResponse response, boolean toHead) {
        int code = response.status().code();
        return toHead || code == 204 || code == 304 || HttpUtil.isContentLengthSet(response)
                || HttpUtil.isTransferEncodingChunked(response);
    }
}
