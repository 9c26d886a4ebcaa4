package io.fwatchdog.process;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.fwatchdog.log.Log;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Copies a function's output stream to the log line by line, on a pooled daemon platform
 * thread (reads block in native code, which would pin a virtual thread).
 *
 * <p>It never stops reading: a line longer than the limit is emitted in pieces of at most
 * that many bytes, so a function writing megabytes without a newline never blocks on a full
 * pipe and no byte is dropped here (the log behind it drops whole lines only when its own
 * output falls behind; see {@link Log}). Pieces are cut between UTF-8 characters where
 * possible; malformed UTF-8 becomes replacement characters.
 */
public final class LogRelay {
    /** Where relayed lines go; {@link Log#relay} in production. */
    @FunctionalInterface
    public interface LineSink {
        void line(String stream, String line, boolean prefix);
    }

    private static final int READ_BYTES = 16 * 1024;
    private static final ExecutorService THREADS = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("fwatchdog-log-", 1).stackSize(256 * 1024).factory());

    /** Read into on event loops, each relay emptying it before it returns. */
    private static final ThreadLocal<ByteBuffer> LOOP_BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocate(READ_BYTES));

    private final ReadableByteChannel source;
    private final String stream;
    private final int maxLineBytes;
    private final boolean prefix;
    private final LineSink sink;
    private byte[] line;
    private int length;

    private LogRelay(ReadableByteChannel source, String stream, int maxLineBytes, boolean prefix, LineSink sink) {
        this.source = source;
        this.stream = stream;
        this.maxLineBytes = maxLineBytes;
        this.prefix = prefix;
        this.sink = sink;
        this.line = new byte[maxLineBytes < 0 ? 1024 : Math.min(maxLineBytes, 1024)];
    }

    /** Relays to {@link Log#relay}. */
    public static CompletableFuture<Void> start(ReadableByteChannel source, String stream, int maxLineBytes,
            boolean prefix) {
        return start(source, stream, maxLineBytes, prefix, Log::relay);
    }

    /**
     * Relays a function process's output to {@link Log#relay}, each line tagged with the call id
     * of the request it serves and the process id.
     */
    public static CompletableFuture<Void> start(ReadableByteChannel source, String stream, int maxLineBytes,
            boolean prefix, String callId, long pid) {
        return start(source, stream, maxLineBytes, prefix,
                (name, line, withPrefix) -> Log.relay(name, line, withPrefix, callId, pid));
    }

    /**
     * Starts relaying {@code source} until end-of-file.
     *
     * @param maxLineBytes the longest piece emitted, or -1 for whole lines however long
     * @return completes once every line, the last partial one included, has been handed to the
     *     sink (callers wait on it to flush a function's last words before answering); completes
     *     exceptionally if reading fails
     */
    public static CompletableFuture<Void> start(ReadableByteChannel source, String stream, int maxLineBytes,
            boolean prefix, LineSink sink) {
        requireNonNull(source, "source");
        requireNonNull(stream, "stream");
        requireNonNull(sink, "sink");
        if (maxLineBytes == 0 || maxLineBytes < -1) {
            throw new IllegalArgumentException("maxLineBytes: " + maxLineBytes + " (expected: positive or -1)");
        }
        LogRelay relay = new LogRelay(source, stream, maxLineBytes, prefix, sink);
        CompletableFuture<Void> drained = new CompletableFuture<>();
        if (source instanceof PipeChannel pipe && pipe.loop() != null) {
            relay.relayOnLoop(pipe, drained);
            return drained;
        }
        THREADS.execute(() -> {
            try {
                relay.run();
                drained.complete(null);
            } catch (IOException | RuntimeException e) {
                drained.completeExceptionally(e);
            }
        });
        return drained;
    }

    /**
     * Relays a non-blocking pipe as its loop finds it readable: a function's stderr costs no
     * thread, and its end-of-file comes with the loop's other events. {@code drained} completes
     * on the loop, which may close the pipe then.
     */
    private void relayOnLoop(PipeChannel pipe, CompletableFuture<Void> drained) {
        LoopWatch[] watch = new LoopWatch[1];
        watch[0] = LoopWatch.watch(pipe.loop(), pipe.fd(), () -> {
            try {
                if (drainAvailable(pipe)) {
                    return;
                }
                watch[0].cancel();
                drained.complete(null);
            } catch (IOException | RuntimeException e) {
                watch[0].cancel();
                drained.completeExceptionally(e);
            }
        }, () -> THREADS.execute(() -> {
            // The loop stops while the function lives on: a thread relays the rest.
            try {
                pipe.makeBlocking();
                run();
                drained.complete(null);
            } catch (IOException | RuntimeException e) {
                drained.completeExceptionally(e);
            }
        }));
    }

    /** Relays what the pipe holds now; false at end-of-file, after the last partial line. */
    private boolean drainAvailable(PipeChannel pipe) throws IOException {
        ByteBuffer buffer = LOOP_BUFFER.get();
        byte[] bytes = buffer.array();
        while (true) {
            int n = pipe.read(buffer.clear());
            if (n == 0) {
                return true;
            }
            if (n < 0) {
                if (length > 0) {
                    emit(length, length);
                }
                return false;
            }
            for (int i = 0; i < n; i++) {
                accept(bytes[i]);
            }
        }
    }

    private void run() throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(READ_BYTES);
        byte[] bytes = buffer.array();
        int n;
        while ((n = source.read(buffer.clear())) >= 0) {
            for (int i = 0; i < n; i++) {
                accept(bytes[i]);
            }
        }
        if (length > 0) {
            emit(length, length);
        }
    }

    private void accept(byte b) {
        if (b == '\n') {
            int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
            emit(end, length);
            return;
        }
        if (length == maxLineBytes) {
            int cut = characterBoundary();
            emit(cut, cut);
        }
        if (length == line.length) {
            line = Arrays.copyOf(line, maxLineBytes < 0 ? line.length * 2 : Math.min(line.length * 2, maxLineBytes));
        }
        line[length++] = b;
    }

    /** Where to cut a full buffer so a multi-byte character is not split; the rest carries over. */
    private int characterBoundary() {
        for (int i = length - 1; i >= Math.max(1, length - 3); i--) {
            int lead = line[i] & 0xff;
            if ((lead & 0xc0) == 0x80) {
                continue; // continuation byte: look further back for the lead
            }
            int size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
            return length - i < size ? i : length;
        }
        return length;
    }

    /** Emits the first {@code end} bytes and drops the first {@code consumed} from the buffer. */
    private void emit(int end, int consumed) {
        sink.line(stream, new String(line, 0, end, UTF_8), prefix);
        System.arraycopy(line, consumed, line, 0, length - consumed);
        length -= consumed;
    }
}
