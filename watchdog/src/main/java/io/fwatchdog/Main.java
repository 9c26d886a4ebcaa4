package io.fwatchdog;

import io.fwatchdog.log.Log;
import io.fwatchdog.server.Watchdog;

/** The process entry point; everything testable lives in {@link Cli}. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        Watchdog.initializeInBackground();
        int status = Cli.run(args, System.getenv(), System.out, System.err, Watchdog::run);
        Log.flush(); // the log is written by a daemon thread: let it finish before the JVM ends
        System.exit(status);
    }
}
