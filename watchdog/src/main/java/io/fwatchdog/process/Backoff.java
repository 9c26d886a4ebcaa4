package io.fwatchdog.process;

import java.time.Duration;

/**
 * The pause before restarting a function process that keeps failing: 100 ms, doubling with
 * each failure in a row, at most 10 s. Shared by every mode that restarts processes (http's
 * upstream, afterburn's pool, the prefork pool), so a crash loop costs the same everywhere.
 */
public final class Backoff {
    public static final Duration FIRST = Duration.ofMillis(100);
    public static final Duration MAX = Duration.ofSeconds(10);

    private Backoff() {}

    /** The pause after the failure numbered {@code failure}, counting from 0 for the first. */
    public static Duration after(int failure) {
        long millis = FIRST.toMillis() << Math.min(failure, 20);
        return Duration.ofMillis(Math.min(millis, MAX.toMillis()));
    }
}
