package io.fwatchdog;

import io.fwatchdog.server.Watchdog;

/** The process entry point; everything testable lives in {@link Cli}. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(Cli.run(args, System.getenv(), System.out, System.err, Watchdog::run));
    }
}
