package io.fwatchdog.mode.http;

import io.netty.channel.Channel;

/**
 * Where a call gets its upstream connection, on the call's own event loop: the pool of that
 * loop ({@link UpstreamPool}) or, for an Fn function, its one connection ({@link FnConnection}).
 * No promise or future per call: an idle connection at hand is handed over at once.
 */
interface Connections {
    /**
     * Hands a connection to {@code taker}: within this call when an idle one is at hand, else
     * once a new one has connected, or reports why none could be made. Each connection handed
     * over is given back with {@link #release} exactly once.
     */
    void acquire(Taker taker);

    /** Gives a connection back: kept idle for the next call when it is open and wanted, else closed. */
    void release(Channel channel);

    /** What {@link #acquire} calls back, on the event loop it was called on. */
    interface Taker {
        void acquired(Channel channel);

        void acquireFailed(Throwable cause);
    }
}
