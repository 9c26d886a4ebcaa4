package io.fwatchdog.mode;

/**
 * What a watchdog mode does with requests for the function. One implementation per mode,
 * chosen once at start-up; the front owns HTTP, admission, timeouts and the access log.
 */
public interface Mode extends AutoCloseable {

    /**
     * Starts serving one admitted request. Called on the exchange's event loop; must not block.
     * The returned call receives the request body as the mode asks for it.
     */
    Call open(Exchange exchange);

    /**
     * Blocks until the function can take requests for the first time; the watchdog reports
     * healthy only after it returns.
     *
     * @throws IllegalStateException when the function cannot become ready; the message says why
     */
    default void awaitReady() throws InterruptedException {}

    /** True while the function can take requests (health and readiness report it). */
    default boolean ready() {
        return true;
    }

    /**
     * Most requests the mode can serve at once, 0 for no limit of its own. The front admits no
     * more than this (or {@code max_inflight}, if lower) and queues the rest within
     * {@code max_queue}.
     */
    default int concurrencyLimit() {
        return 0;
    }

    /**
     * Ends every function process the mode still runs: SIGTERM, a grace period, SIGKILL.
     * Called at shutdown once in-flight requests have drained or their budget ran out.
     */
    @Override
    void close();
}
