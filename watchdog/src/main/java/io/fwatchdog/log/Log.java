package io.fwatchdog.log;

import java.io.PrintStream;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The watchdog's log: its own lines, access lines and relayed function output, one line per
 * call, written whole so lines from concurrent requests never interleave mid-line.
 */
public final class Log {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss");
    private static volatile PrintStream out = System.err;

    private Log() {}

    /** Redirects the log (tests capture it). */
    public static void to(PrintStream stream) {
        out = stream;
    }

    public static void info(String message) {
        write(message);
    }

    public static void warn(String message) {
        write("warning: " + message);
    }

    public static void error(String message) {
        write("error: " + message);
    }

    public static void error(String message, Throwable cause) {
        write("error: " + message + ": " + cause);
    }

    /**
     * A line of function output. With {@code prefix} it carries the time and the stream name,
     * as of-watchdog's {@code prefix_logs}; without, it is written as the function wrote it.
     */
    public static void relay(String stream, String line, boolean prefix) {
        if (prefix) {
            write(stream + ": " + line);
        } else {
            out.println(line);
        }
    }

    private static void write(String message) {
        out.println(ZonedDateTime.now(ZoneOffset.UTC).format(TIME) + " " + message);
    }
}
