package io.fwatchdog.server;

import io.fwatchdog.config.Config;

public final class Watchdog {
    private Watchdog() {}

    /** Runs the watchdog until it is shut down; returns the process exit status. */
    public static int run(Config config) {
        throw new UnsupportedOperationException("to be written");
    }
}
