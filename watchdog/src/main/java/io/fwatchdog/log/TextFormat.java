package io.fwatchdog.log;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * {@code log_format=text}: of-watchdog's lines. {@code 2026/12/01 19:46:23 message}, warnings
 * and errors marked, relayed lines as {@code time stderr: line} (or bare without
 * {@code prefix_logs}), access lines as {@code POST /path - 200 - ContentLength: 5B (0.0031s)}.
 */
final class TextFormat implements LineFormat {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss").withZone(ZoneOffset.UTC);

    private final boolean callIdInAccess;
    private final StringBuilder text = new StringBuilder(256);
    private long second = Long.MIN_VALUE;
    private String stamp = "";

    /** @param callIdInAccess {@code log_callid}: end access lines with {@code call_id=} */
    TextFormat(boolean callIdInAccess) {
        this.callIdInAccess = callIdInAccess;
    }

    @Override
    public void write(Line line, ByteArrayOutputStream out) {
        StringBuilder s = text;
        s.setLength(0);
        boolean relayed = !line.stream().equals(Line.WATCHDOG) && !line.stream().equals(Line.ACCESS);
        if (!relayed || line.prefix()) {
            s.append(timestamp(line.millis())).append(' ');
        }
        if (relayed) {
            if (line.prefix()) {
                s.append(line.stream()).append(": ");
            }
            s.append(line.message());
        } else if (line.method() != null) {
            s.append(line.method()).append(' ');
            escaped(s, line.message());
            s.append(" - ").append(line.status())
                    .append(" - ContentLength: ").append(line.bytes()).append("B (")
                    .append(Log.seconds(line.nanos(), 4)).append("s)");
            if (callIdInAccess && line.callId() != null) {
                escaped(s.append(" call_id="), line.callId());
            }
        } else {
            switch (line.level()) {
                case INFO -> {}
                case WARN -> s.append("warning: ");
                case ERROR -> s.append("error: ");
            }
            escaped(s, line.message());
        }
        s.append('\n');
        byte[] bytes = s.toString().getBytes(UTF_8);
        out.write(bytes, 0, bytes.length);
    }

    /**
     * Appends the watchdog's own text, which may quote a client's request, with control
     * characters as {@code \xNN}: a request cannot move the terminal's cursor or forge a line.
     * Relayed function output is the function's own and is written as it came.
     */
    private static void escaped(StringBuilder s, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
                s.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
            } else {
                s.append(c);
            }
        }
    }

    /** Lines within a second share one formatted time. */
    private String timestamp(long millis) {
        long s = Math.floorDiv(millis, 1000);
        if (s != second) {
            second = s;
            stamp = TIME.format(Instant.ofEpochSecond(s));
        }
        return stamp;
    }
}
