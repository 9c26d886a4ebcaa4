package io.fwatchdog;

import io.fwatchdog.config.Variable;
import io.fwatchdog.log.Log;
import io.fwatchdog.server.Watchdog;
import java.util.Locale;
import java.util.Map;

/** The process entry point; everything testable lives in {@link Cli}. */
public final class Main {
    private Main() {}

    /**
     * Whether the environment asks for a mode that starts its function along with the watchdog
     * (http, afterburn, or a prefork pool). A guess from the raw variables, made before they
     * are read and checked, that only decides what start-up prepares ahead.
     */
    static boolean startsAProcessAtOnce(Map<String, String> env) {
        String mode = env.getOrDefault(Variable.MODE.envName(), "").strip().toLowerCase(Locale.ROOT);
        String prefork = env.getOrDefault(Variable.PREFORK.envName(), "").strip();
        return mode.equals("http") || mode.equals("afterburn") || !(prefork.isEmpty() || prefork.equals("0"));
    }

    public static void main(String[] args) {
        Map<String, String> env = System.getenv();
        Watchdog.initializeInBackground(startsAProcessAtOnce(env));
        int status = Cli.run(args, env, System.out, System.err, Watchdog::run);
        Log.flush(); // the log is written by a daemon thread: let it finish before the JVM ends
        System.exit(status);
    }
}
