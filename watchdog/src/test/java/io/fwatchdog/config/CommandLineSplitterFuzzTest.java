package io.fwatchdog.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzzes the fprocess splitter. Any line either splits or is refused with an
 * IllegalArgumentException (which the parser turns into a problem); words quoted in any of the
 * three ways the splitter documents come back exactly; a line without quotes or backslashes
 * splits on whitespace and nothing else.
 */
class CommandLineSplitterFuzzTest {

    @FuzzTest
    void quotedWordsRoundTripAndAnyLineSplitsOrIsRefused(FuzzedDataProvider data) {
        List<String> words = new ArrayList<>();
        int count = data.consumeInt(0, 6);
        for (int i = 0; i < count; i++) {
            words.add(data.consumeString(24));
        }
        String separator = data.pickValue(List.of(" ", "  ", "\t", " \n "));
        for (Quoting quoting : Quoting.values()) {
            String line = String.join(separator, words.stream().map(quoting::quote).toList());
            assertThat(CommandLineSplitter.split(line)).as("%s quoting of %s: %s", quoting, words, line).isEqualTo(words);
        }

        String line = data.consumeRemainingAsString();
        List<String> split;
        try {
            split = CommandLineSplitter.split(line);
        } catch (IllegalArgumentException refused) {
            assertThat(line).containsAnyOf("'", "\"", "\\");
            return;
        }
        if (!line.contains("'") && !line.contains("\"") && !line.contains("\\")) {
            assertThat(split).isEqualTo(whitespaceSplit(line));
        }
        for (String word : split) {
            // An empty word can only come from '' or "".
            if (word.isEmpty()) {
                assertThat(line).containsAnyOf("''", "\"\"");
            }
        }
    }

    private static List<String> whitespaceSplit(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (char c : line.toCharArray()) {
            if (Character.isWhitespace(c)) {
                if (!word.isEmpty()) {
                    words.add(word.toString());
                    word.setLength(0);
                }
            } else {
                word.append(c);
            }
        }
        if (!word.isEmpty()) {
            words.add(word.toString());
        }
        return words;
    }

    /** The ways a word can be written so that it reaches argv unchanged. */
    enum Quoting {
        /** {@code 'it'\''s'}: single quotes, each quote inside closed, escaped and reopened. */
        SINGLE {
            @Override
            String quote(String word) {
                return "'" + word.replace("'", "'\\''") + "'";
            }
        },
        /** {@code "say \"hi\""}: double quotes with {@code \"} and {@code \\} escaped. */
        DOUBLE {
            @Override
            String quote(String word) {
                return "\"" + word.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            }
        },
        /** {@code a\ b}: every character escaped with a backslash; an empty word as {@code ''}. */
        BACKSLASH {
            @Override
            String quote(String word) {
                if (word.isEmpty()) {
                    return "''";
                }
                StringBuilder quoted = new StringBuilder();
                Arrays.stream(word.split("")).forEach(c -> quoted.append('\\').append(c));
                return quoted.toString();
            }
        };

        abstract String quote(String word);
    }
}
