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
    private final Descriptor fd;
    private final Runnable ready;
    private final Runnable dropped;
    private IoRegistration registration;
    private boolean over;
    private boolean paused;

    private LoopWatch(int fd, Runnable ready, Runnable dropped) {
        this.fd = new Descriptor(fd);
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
                watch.registration.cancel(); // never added to epoll, so nothing to delete there
                return;
            }
            watch.fd.added = true;
            watch.registration.submit(watch.interest());
        });
        return watch;
    }

    /** Stops or resumes telling {@code ready} (a reader waiting for its consumer); on the loop. */
    void pause(boolean pause) {
        if (paused == pause || over) {
            return;
        }
        paused = pause;
        if (registration != null) {
            registration.submit(interest());
        }
    }

    /**
     * Paused, the descriptor stays in epoll edge-triggered for nothing: Netty deletes it from
     * epoll for {@code NONE} yet modifies it afterwards, and level-triggered hang-ups, which epoll
     * always reports, would spin the loop while the reader waits.
     */
    private EpollIoOps interest() {
        return paused ? EpollIoOps.EPOLLET : EpollIoOps.EPOLLIN;
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

    /**
     * The number as Netty's loop sees it. Open (so cancelling deletes it from epoll) only once it
     * was added there: the owner may close it before the loop got to add it.
     */
    private static final class Descriptor extends FileDescriptor {
        private boolean added;

        Descriptor(int fd) {
            super(fd);
        }

        @Override
        public boolean isOpen() {
            return added;
        }

        @Override
        public void close() {
            // the owner closes the descriptor itself
        }
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        if (!over && !paused) {
            ready.run();
        }
    }

    /** Called by the loop when it stops, with the descriptor still registered. */
    @Override
    public void close() {
        drop();
    }
}
