package io.fwatchdog.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TextFormatTest {

    private static String format(Line line) {
        var out = new ByteArrayOutputStream();
        new TextFormat(true).write(line, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void escapesControlCharactersThatARequestBroughtIntoAnAccessLine() {
        String text = format(new Line(0, Line.Level.INFO, Line.ACCESS, "/a\u001b[2J\rb\u009bc/caf\u00e9", true, "GET",
                200, 0, 0, "id\u0007", 0));

        assertThat(text).hasLineCount(1)
                .contains("GET /a\\x1b[2J\\x0db\\x9bc/caf\u00e9 - 200")
                .contains("call_id=id\\x07")
                .doesNotContain("\u001b", "\r", "\u0007", "\u009b");
    }

    @Test
    void escapesControlCharactersInTheWatchdogsOwnLines() {
        assertThat(format(Line.watchdog(Line.Level.WARN, "GET /x\ny: cut"))).endsWith("warning: GET /x\\x0ay: cut\n");
    }

    @Test
    void relaysFunctionOutputAsItCame() {
        String text = format(new Line(0, Line.Level.INFO, "stderr", "\u001b[31mred\u001b[0m", false, null, 0, 0, 0, null, 7));

        assertThat(text).isEqualTo("\u001b[31mred\u001b[0m\n");
    }
}
