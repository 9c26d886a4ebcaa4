package io.fwatchdog.mode;

import io.fwatchdog.process.ExitStatus;

/** What a mode with a long-lived function tells the watchdog about it. */
public interface FunctionEvents {
    /** The function started or stopped accepting requests; health and the lock file follow. */
    void readinessChanged(boolean ready);

    /** The function exited and stays down: the watchdog drains and exits with its status. */
    void ended(ExitStatus status);
}
