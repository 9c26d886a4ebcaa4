package io.fwatchdog.process;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.channels.ReadableByteChannel;

/**
 * A function's stdout read on the request's event loop as it becomes readable, for a process
 * started with that loop (see {@link ProcessLauncher#start(java.nio.file.Path, java.util.List,
 * java.util.Map, io.netty.channel.EventLoop)}): no thread wakes up, and no hand-off to the
 * loop follows, for each read.
 *
 * <p>Confined to the loop, but {@link #watch} may be called from any thread.
 */
public final class LoopPipe {
    private final PipeChannel pipe;
    private LoopWatch watch;

    private LoopPipe(PipeChannel pipe) {
        this.pipe = pipe;
    }

    /** Whether {@code pipe} is to be read on its process's loop, through {@link #watch}. */
    public static boolean readsOnLoop(ReadableByteChannel pipe) {
        return pipe instanceof PipeChannel channel && channel.loop() != null;
    }

    /**
     * Watches {@code pipe} when its process was started for a loop; null when it is a blocking
     * pipe for threads to read. {@code readable} runs on the loop whenever the pipe has bytes or
     * reached its end, until {@link #close()}; if the loop stops first, {@code dropped} runs.
     */
    public static LoopPipe watch(ReadableByteChannel pipe, Runnable readable, Runnable dropped) {
        if (!readsOnLoop(pipe)) {
            return null;
        }
        PipeChannel channel = (PipeChannel) pipe;
        LoopPipe loopPipe = new LoopPipe(channel);
        loopPipe.watch = LoopWatch.watch(channel.loop(), channel.fd(), readable, dropped);
        return loopPipe;
    }

    /** Reads what the pipe holds, up to {@code buf}'s room; 0 when nothing, -1 at end-of-file. */
    public int read(ByteBuf buf) throws IOException {
        int n = pipe.read(buf.nioBuffer(buf.writerIndex(), buf.writableBytes()));
        if (n > 0) {
            buf.writerIndex(buf.writerIndex() + n);
        }
        return n;
    }

    /** Stops telling of readability while the reader waits for its consumer; resumed with false. */
    public void pause(boolean pause) {
        watch.pause(pause);
    }

    /** Stops watching and closes the pipe. */
    public void close() {
        watch.cancel();
        pipe.close();
    }
}
