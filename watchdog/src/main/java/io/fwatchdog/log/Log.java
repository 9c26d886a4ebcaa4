package io.fwatchdog.log;

import io.netty.util.AsciiString;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The watchdog's log: its own lines, access lines and relayed function output, as text or
 * JSON ({@code log_format}). Callers only hand over values; one writer thread formats and
 * writes them, whole lines only, so lines never interleave and a slow log consumer never holds
 * up a request: past a bounded buffer, lines are dropped, counted and reported.
 */
public final class Log {
    /** What may wait to be written, about 4 MiB of text; beyond it lines are dropped. */
    static final long MAX_PENDING = 4L << 20;
    private static final long FLUSH_MILLIS = 5_000;

    private static final LogWriter WRITER = new LogWriter(System.err, MAX_PENDING, new TextFormat(false));

    private Log() {}

    /**
     * Sets the format: JSON lines ({@code log_format=json}) naming {@code mode} in each, or
     * of-watchdog's text lines, whose access lines carry the call id when {@code logCallId}
     * ({@code log_callid}).
     */
    public static void configure(boolean json, boolean logCallId, String mode) {
        WRITER.format(json ? new JsonFormat(mode) : new TextFormat(logCallId));
    }

    /** Redirects the log (tests capture it); lines already submitted go to the old stream first. */
    public static void to(PrintStream stream) {
        WRITER.flush(FLUSH_MILLIS);
        WRITER.output(stream);
    }

    /**
     * Waits (a few seconds at most) until every line logged so far has been written: before
     * the process exits, and in tests before reading what was captured.
     */
    public static void flush() {
        WRITER.flush(FLUSH_MILLIS);
    }

    /** Lines dropped because the output did not keep up, since start. */
    public static long dropped() {
        return WRITER.dropped();
    }

    public static void info(String message) {
        WRITER.submit(Line.watchdog(Line.Level.INFO, message));
    }

    public static void warn(String message) {
        WRITER.submit(Line.watchdog(Line.Level.WARN, message));
    }

    public static void error(String message) {
        WRITER.submit(Line.watchdog(Line.Level.ERROR, message));
    }

    public static void error(String message, Throwable cause) {
        WRITER.submit(Line.watchdog(Line.Level.ERROR, message + ": " + cause));
    }

    /**
     * A line of function output. With {@code prefix} a text line carries the time and the
     * stream name, as of-watchdog's {@code prefix_logs}; without, it is written as the function
     * wrote it.
     */
    public static void relay(String stream, String line, boolean prefix) {
        relay(stream, line, prefix, null, 0);
    }

    /** A line of a function process's output, tagged with the request it serves (JSON lines show both). */
    public static void relay(String stream, String line, boolean prefix, String callId, long pid) {
        WRITER.submit(new Line(System.currentTimeMillis(), Line.Level.INFO, stream, line, prefix, null, 0, 0, 0,
                callId, pid));
    }

    /** The access line of one request to the function. */
    public static void access(String method, String uri, int status, long bytes, long nanos, String callId) {
        WRITER.submit(new Line(System.currentTimeMillis(), Line.Level.INFO, Line.ACCESS, uri, true, method, status,
                bytes, nanos, callId, 0));
    }

    /**
     * {@code nanos} as seconds with exactly {@code places} decimals ({@code 0.0123}, at least
     * one), for log lines and duration headers; far cheaper than {@code String.format} on the
     * request path.
     */
    public static String seconds(long nanos, int places) {
        byte[] digits = secondsDigits(nanos, places);
        return new String(digits, 0, digits.length, StandardCharsets.ISO_8859_1);
    }

    /** {@link #seconds} for a header value: the digits wrapped, not copied, nor encoded again. */
    public static AsciiString secondsAscii(long nanos, int places) {
        return new AsciiString(secondsDigits(nanos, places), false);
    }

    private static byte[] secondsDigits(long nanos, int places) {
        long scale = 1;
        for (int i = 0; i < places; i++) {
            scale *= 10;
        }
        long units = Math.round(nanos / (1e9 / scale));
        long whole = units / scale;
        long fraction = units % scale;
        int wholeDigits = 1;
        for (long rest = whole / 10; rest > 0; rest /= 10) {
            wholeDigits++;
        }
        byte[] out = new byte[wholeDigits + 1 + places];
        int at = out.length;
        for (int i = 0; i < places; i++) {
            out[--at] = (byte) ('0' + fraction % 10);
            fraction /= 10;
        }
        out[--at] = '.';
        do {
            out[--at] = (byte) ('0' + whole % 10);
            whole /= 10;
        } while (whole > 0);
        return out;
    }
}
