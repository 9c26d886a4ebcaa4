package io.fwatchdog.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class JsonFormatTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String format(Line line) throws Exception {
        var out = new ByteArrayOutputStream();
        new JsonFormat("streaming").write(line, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void keepsAnyFunctionOutputOnOneParsableLine() throws Exception {
        String nasty = "quote \" backslash \\ tab \t bell \u0007 cr \r é 😀 {\"json\": true}";
        String text = format(new Line(0, Line.Level.INFO, "stderr", nasty, true, null, 0, 0, 0, "id-1", 42));

        assertThat(text).endsWith("}\n").doesNotContain("\r").hasLineCount(1);
        JsonNode node = JSON.readTree(text);
        assertThat(node.path("msg").asText()).isEqualTo(nasty);
        assertThat(node.path("call_id").asText()).isEqualTo("id-1");
        assertThat(node.path("pid").asLong()).isEqualTo(42);
    }

    @Test
    void writesTheTimeInRfc3339UtcWithMilliseconds() throws Exception {
        long millis = Instant.parse("2026-12-01T19:58:04.005Z").toEpochMilli();
        var format = new JsonFormat(null);
        var out = new ByteArrayOutputStream();
        format.write(Line.watchdog(Line.Level.WARN, "a"), out);
        out.reset();

        format.write(new Line(millis, Line.Level.WARN, "watchdog", "b", true, null, 0, 0, 0, null, 0), out);

        JsonNode node = JSON.readTree(out.toString(StandardCharsets.UTF_8));
        assertThat(node.path("time").asText()).isEqualTo("2026-12-01T19:58:04.005Z");
        assertThat(node.path("level").asText()).isEqualTo("warn");
        assertThat(node.has("mode")).isFalse();
    }
}
