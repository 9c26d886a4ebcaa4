package io.fwatchdog.process;

import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;

/**
 * A descriptor of a function process (its pidfd, its stderr pipe) watched for readability by
 * the request's Netty epoll event loop, so that the exit and the log lines arrive with the
 * loop's other events instead of waking a thread per process and then the loop.
 *
 * <p>Threading: {@code ready} and {@code dropped} run on the loop. The descriptor is not
 * closed here; its owner closes it after {@link #cancel()}, on the loop, so epoll never
 * watches a number that was reused.
 */
final class LoopWatch implements EpollIoHandle {
    private final FileDescriptor fd;
    private final Runnable ready;
    private final Runnable dropped;
    private IoRegistration registration;
    private boolean over;

    private LoopWatch(int fd, Runnable ready, Runnable dropped) {
        this.fd = new FileDescriptor(fd);
        this.ready = ready;
        this.dropped = dropped;
    }

    /** Whether {@code loop} can watch descriptors: a Netty epoll loop. */
    static boolean supports(EventLoop loop) {
        return loop instanceof IoEventLoop io && io.isCompatible(LoopWatch.class);
    }

    /**
     * Watches {@code fd} on {@code loop} (one that {@link #supports}) from any thread:
     * {@code ready} runs each time it is readable (or at its end, hang-up, error), until
     * {@link #cancel()}; {@code dropped} runs instead once if the loop will not, or will no
     * longer, watch it (it is shutting down).
     */
    static LoopWatch watch(EventLoop loop, int fd, Runnable ready, Runnable dropped) {
        LoopWatch watch = new LoopWatch(fd, ready, dropped);
        ((IoEventLoop) loop).register(watch).addListener(registered -> {
            if (!registered.isSuccess()) {
                watch.drop();
                return;
            }
            watch.registration = (IoRegistration) registered.getNow();
            if (watch.over) {
                watch.registration.cancel();
                return;
            }
            watch.registration.submit(EpollIoOps.EPOLLIN);
        });
        return watch;
    }

    /** Stops watching; on the loop. */
    void cancel() {
        over = true;
        if (registration != null) {
            registration.cancel();
        }
    }

    private void drop() {
        if (!over) {
            over = true;
            dropped.run();
        }
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        if (!over) {
            ready.run();
        }
    }

    /** Called by the loop when it stops, with the descriptor still registered. */
    @Override
    public void close() {
        drop();
    }
}
