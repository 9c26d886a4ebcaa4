package io.fwatchdog.log;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * {@code log_format=json}: one JSON object per line, written with Jackson's streaming
 * generator. Every line has {@code time} (RFC 3339, UTC, milliseconds), {@code level},
 * {@code stream} and {@code msg}, plus {@code mode}; access lines add the request's fields,
 * relayed lines the process id, and both the call id.
 */
final class JsonFormat implements LineFormat {
    private static final DateTimeFormatter SECOND =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.").withZone(ZoneOffset.UTC);

    private final JsonFactory factory = JsonFactory.builder()
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();
    private final String mode;
    private final char[] time = new char[24];
    private long second = Long.MIN_VALUE;

    /** @param mode the watchdog's mode, a field of every line; null for none */
    JsonFormat(String mode) {
        this.mode = mode;
    }

    @Override
    public void write(Line line, ByteArrayOutputStream out) throws IOException {
        try (JsonGenerator json = factory.createGenerator(out)) {
            json.writeStartObject();
            json.writeFieldName("time");
            json.writeString(time(line.millis()), 0, time.length);
            json.writeStringField("level", line.level().name().toLowerCase(Locale.ROOT));
            json.writeStringField("stream", line.stream());
            if (line.method() != null) {
                String uri = line.message();
                int query = uri.indexOf('?');
                json.writeStringField("msg", line.method() + " " + uri + " " + line.status());
                json.writeStringField("method", line.method());
                json.writeStringField("path", query < 0 ? uri : uri.substring(0, query));
                if (query >= 0) {
                    json.writeStringField("query", uri.substring(query + 1));
                }
                json.writeNumberField("status", line.status());
                json.writeNumberField("bytes", line.bytes());
                json.writeNumberField("duration_s", line.nanos() / 1e9);
            } else {
                json.writeStringField("msg", line.message());
            }
            if (line.callId() != null) {
                json.writeStringField("call_id", line.callId());
            }
            if (line.pid() > 0) {
                json.writeNumberField("pid", line.pid());
            }
            if (mode != null) {
                json.writeStringField("mode", mode);
            }
            json.writeEndObject();
        }
        out.write('\n');
    }

    /** {@code 2026-12-01T19:46:23.123Z} into {@link #time}; the part up to the second is cached. */
    private char[] time(long millis) {
        long s = Math.floorDiv(millis, 1000);
        if (s != second) {
            second = s;
            SECOND.format(Instant.ofEpochSecond(s)).getChars(0, 20, time, 0);
            time[23] = 'Z';
        }
        int ms = (int) Math.floorMod(millis, 1000);
        time[20] = (char) ('0' + ms / 100);
        time[21] = (char) ('0' + ms / 10 % 10);
        time[22] = (char) ('0' + ms % 10);
        return time;
    }
}
