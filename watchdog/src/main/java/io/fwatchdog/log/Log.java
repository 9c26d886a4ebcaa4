package io.fwatchdog.log;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The watchdog's log: its own lines, access lines and relayed function output. Each line
 * reaches the stream in a single write, so lines from concurrent requests never interleave
 * mid-line, and the request path pays one system call per line.
 */
public final class Log {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss").withZone(ZoneOffset.UTC);
    private static volatile PrintStream out = System.err;
    /** The formatted time of the current second: lines within a second share it. */
    private static volatile Stamp stamp = new Stamp(Long.MIN_VALUE, "");

    private record Stamp(long second, String text) {}

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
            emit(line);
        }
    }

    /**
     * {@code nanos} as seconds with exactly {@code places} decimals ({@code 0.0123}), for log
     * lines and duration headers; far cheaper than {@code String.format} on the request path.
     */
    public static String seconds(long nanos, int places) {
        long scale = 1;
        for (int i = 0; i < places; i++) {
            scale *= 10;
        }
        long units = Math.round(nanos / (1e9 / scale));
        String fraction = Long.toString(units % scale);
        return units / scale + "." + "0".repeat(places - fraction.length()) + fraction;
    }

    private static void write(String message) {
        emit(timestamp() + " " + message);
    }

    private static void emit(String line) {
        byte[] bytes = (line + "\n").getBytes(UTF_8);
        PrintStream stream = out;
        synchronized (stream) {
            stream.write(bytes, 0, bytes.length);
            stream.flush();
        }
    }

    private static String timestamp() {
        long second = System.currentTimeMillis() / 1000;
        Stamp current = stamp;
        if (current.second() != second) {
            current = new Stamp(second, TIME.format(Instant.ofEpochSecond(second)));
            stamp = current;
        }
        return current.text();
    }
}
