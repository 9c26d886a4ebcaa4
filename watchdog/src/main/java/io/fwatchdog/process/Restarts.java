package io.fwatchdog.process;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * When a supervised function process is started again, shared by http mode's upstream and
 * afterburn's pool so a crash loop costs the same everywhere: {@code restart_policy} decides
 * whether, and starts that keep failing are spaced by a pause of 100 ms doubling to 10 s.
 *
 * <p>Not thread-safe: each owner guards it with its own lock.
 */
public final class Restarts {
    /** A process that ran this long before it ended was not failing at start. */
    public static final Duration STABLE = Duration.ofSeconds(10);
    /** Failed starts in a row after which a function that never proved itself is given up. */
    static final int STARTS_BEFORE_GIVING_UP = 3;

    private final Predicate<ExitStatus> policy;
    private int failures;
    private long nextStartNanos;
    private boolean proven;

    /** @param policy whether a process that exited by itself with this status is started again */
    public Restarts(Predicate<ExitStatus> policy) {
        this.policy = policy;
    }

    /** The pause after the failure numbered {@code failure}, counting from 0 for the first. */
    private static Duration pause(int failure) {
        return Duration.ofMillis(Math.min(100L << Math.min(failure, 20), 10_000));
    }

    /** True when a process started at {@code startedNanos} that ends now has failed at start. */
    public static boolean endsEarly(long startedNanos) {
        return System.nanoTime() - startedNanos < STABLE.toNanos();
    }

    public boolean restartsAfter(ExitStatus status) {
        return policy.test(status);
    }

    /** A start failed; the pause before the next one, which it also sets. */
    public Duration failed() {
        Duration pause = pause(failures++);
        nextStartNanos = System.nanoTime() + pause.toNanos();
        return pause;
    }

    /** A process served or stayed up: the function can start, and the pause starts over. */
    public void proven() {
        proven = true;
        failures = 0;
    }

    /** True while the last start failed and no start has succeeded since. */
    public boolean failing() {
        return failures > 0;
    }

    public int failures() {
        return failures;
    }

    /** How long the next start must still wait; zero or less when it may go now. */
    public long nanosToNextStart() {
        return nextStartNanos - System.nanoTime();
    }

    /** True once a function that never proved itself has failed too many starts in a row. */
    public boolean givesUp() {
        return !proven && failures >= STARTS_BEFORE_GIVING_UP;
    }
}
