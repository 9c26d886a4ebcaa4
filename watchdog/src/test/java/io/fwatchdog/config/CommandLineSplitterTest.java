package io.fwatchdog.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

class CommandLineSplitterTest {

    @Test
    void splitsOnSpaces() {
        assertThat(CommandLineSplitter.split("python3 index.py")).containsExactly("python3", "index.py");
    }

    @Test
    void treatsRunsOfWhitespaceAndTabsAsOneSeparator() {
        assertThat(CommandLineSplitter.split("  cat \t -n\n ")).containsExactly("cat", "-n");
    }

    @Test
    void returnsNoWordsForBlankLine() {
        assertThat(CommandLineSplitter.split("   ")).isEmpty();
    }

    @Test
    void keepsSingleQuotedTextAsOneLiteralWord() {
        assertThat(CommandLineSplitter.split("sh -c 'echo \"$HOME\" \\n'"))
                .containsExactly("sh", "-c", "echo \"$HOME\" \\n");
    }

    @Test
    void keepsDoubleQuotedTextAsOneWord() {
        assertThat(CommandLineSplitter.split("echo \"hello   world\"")).containsExactly("echo", "hello   world");
    }

    @Test
    void unescapesQuoteAndBackslashInsideDoubleQuotes() {
        assertThat(CommandLineSplitter.split("echo \"say \\\"hi\\\" \\\\o/\""))
                .containsExactly("echo", "say \"hi\" \\o/");
    }

    @Test
    void keepsOtherBackslashesInsideDoubleQuotes() {
        assertThat(CommandLineSplitter.split("grep \"\\d+\"")).containsExactly("grep", "\\d+");
    }

    @Test
    void escapesAnyCharacterWithBackslashOutsideQuotes() {
        assertThat(CommandLineSplitter.split("cat my\\ file \\'x")).containsExactly("cat", "my file", "'x");
    }

    @Test
    void joinsAdjacentQuotedAndUnquotedPartsIntoOneWord() {
        assertThat(CommandLineSplitter.split("--name='a b'\"c\"d")).containsExactly("--name=a bcd");
    }

    @Test
    void turnsEmptyQuotesIntoAnEmptyWord() {
        assertThat(CommandLineSplitter.split("printf '' \"\"")).containsExactly("printf", "", "");
    }

    @Test
    void doesNotExpandVariablesOrGlobs() {
        assertThat(CommandLineSplitter.split("echo $HOME *.txt")).containsExactly("echo", "$HOME", "*.txt");
    }

    @Test
    void rejectsUnterminatedSingleQuote() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> CommandLineSplitter.split("echo 'hi"))
                .withMessage("an unterminated single quote");
    }

    @Test
    void rejectsUnterminatedDoubleQuote() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> CommandLineSplitter.split("echo \"hi \\\""))
                .withMessage("an unterminated double quote");
    }

    @Test
    void rejectsTrailingBackslash() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> CommandLineSplitter.split("echo hi\\"))
                .withMessage("a trailing backslash with nothing to escape");
    }
}
