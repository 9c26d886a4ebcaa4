package io.fwatchdog.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits the {@code fprocess} value into argv words the way a POSIX shell tokenises a simple
 * command, without any of its expansions: the result is passed to the OS as is, never to a shell.
 *
 * <ul>
 *   <li>Unquoted whitespace separates words; runs of it count once.</li>
 *   <li>{@code '...'} is literal: no escapes inside single quotes.</li>
 *   <li>{@code "..."} is literal except {@code \"} and {@code \\}; any other backslash is kept,
 *       so Windows-like paths and regular expressions in double quotes survive.</li>
 *   <li>Outside quotes a backslash takes the next character literally ({@code a\ b} is one word).</li>
 *   <li>{@code ''} and {@code ""} give an empty word.</li>
 * </ul>
 *
 * <p>A value without quotes or backslashes splits exactly as of-watchdog's split on spaces,
 * except that repeated spaces do not produce empty words. Written by hand because the JDK has no
 * such tokenizer and the rules fit on one screen.
 */
final class CommandLineSplitter {
    private CommandLineSplitter() {}

    /**
     * @throws IllegalArgumentException with a short reason ("an unterminated single quote") when
     *     a quote is not closed or the line ends with an escaping backslash
     */
    static List<String> split(String line) {
        var words = new ArrayList<String>();
        var word = new StringBuilder();
        // Separate from word.isEmpty(): '' starts a word that is empty.
        boolean inWord = false;
        int i = 0;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (c == '\'') {
                int close = line.indexOf('\'', i + 1);
                if (close < 0) {
                    throw new IllegalArgumentException("an unterminated single quote");
                }
                word.append(line, i + 1, close);
                inWord = true;
                i = close + 1;
            } else if (c == '"') {
                i = appendDoubleQuoted(line, i + 1, word);
                inWord = true;
            } else if (c == '\\') {
                if (i + 1 >= line.length()) {
                    throw new IllegalArgumentException("a trailing backslash with nothing to escape");
                }
                word.append(line.charAt(i + 1));
                inWord = true;
                i += 2;
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return List.copyOf(words);
    }

    /** Appends the body of a double-quoted string starting at {@code start}; returns the index after the closing quote. */
    private static int appendDoubleQuoted(String line, int start, StringBuilder word) {
        int i = start;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (c == '"') {
                return i + 1;
            }
            if (c == '\\' && i + 1 < line.length() && (line.charAt(i + 1) == '"' || line.charAt(i + 1) == '\\')) {
                word.append(line.charAt(i + 1));
                i += 2;
            } else {
                word.append(c);
                i++;
            }
        }
        throw new IllegalArgumentException("an unterminated double quote");
    }
}
