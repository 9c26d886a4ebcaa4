package io.fwatchdog.log;

/**
 * One log line as the request path hands it over: the values only. Formatting, text or JSON,
 * happens on the writer thread, so what the event loop pays for a line is this record and a
 * queue insertion.
 *
 * @param millis  when it happened, milliseconds since the epoch
 * @param stream  {@code watchdog}, {@code access}, or the function's stream ({@code stderr})
 * @param message the text; for access lines the request URI
 * @param prefix  relayed lines: prefix the text format with the time and stream name
 * @param method  access lines: the request method, else null
 * @param status  access lines: the status sent
 * @param bytes   access lines: response body bytes sent
 * @param nanos   access lines: time from arrival to the end of the response
 * @param callId  the request's call id, or null
 * @param pid     relayed lines: the function process, else 0
 */
record Line(long millis, Level level, String stream, String message, boolean prefix, String method, int status,
        long bytes, long nanos, String callId, long pid) {

    enum Level { INFO, WARN, ERROR }

    static final String WATCHDOG = "watchdog";
    static final String ACCESS = "access";

    static Line watchdog(Level level, String message) {
        return new Line(System.currentTimeMillis(), level, WATCHDOG, message, true, null, 0, 0, 0, null, 0);
    }

    /** What the line counts against the writer's buffer: about the characters it holds. */
    int weight() {
        return 64 + message.length() + (callId == null ? 0 : callId.length());
    }
}
