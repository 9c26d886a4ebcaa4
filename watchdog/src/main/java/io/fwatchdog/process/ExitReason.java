package io.fwatchdog.process;

/**
 * Why a function process ended, as the metrics count it ({@code fwatchdog_function_process_exits_total}):
 * by itself, well or badly, or ended by the watchdog and why.
 */
public enum ExitReason {
    /** Exited with status 0 by itself. */
    OK,
    /** Exited with a non-zero status by itself. */
    ERROR,
    /** Ended by the watchdog because {@code exec_timeout} passed. */
    TIMEOUT,
    /** Ended by the watchdog for another reason: client gone, output too large, shutdown. */
    KILLED,
    /** Killed by a signal that the watchdog did not send (a crash, the OOM killer). */
    CRASHED,
    /** A hot process ended by the watchdog in the normal course: idle_timeout or max_requests. */
    RECYCLED;

    /**
     * How a process that ended by itself is counted: {@code crashed} for a signal (or no
     * status to read), else {@code ok} or {@code error} by its exit status.
     */
    public static ExitReason of(ExitStatus status) {
        if (status == null || status.signal() != 0) {
            return CRASHED;
        }
        return status.success() ? OK : ERROR;
    }
}
