package io.fwatchdog.config;

import static io.fwatchdog.config.ConfigFixture.executable;
import static io.fwatchdog.config.ConfigFixture.file;
import static io.fwatchdog.config.ConfigFixture.problems;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The function command: splitting fprocess, the {@code --} override and finding the executable. */
class ConfigCommandTest {
    @TempDir
    Path bin;

    private Config parse(Map<String, String> env, List<String> override) {
        try {
            return Config.parse(env, override);
        } catch (ConfigException e) {
            throw new AssertionError(e.problems().toString(), e);
        }
    }

    @Test
    void splitsFprocessWithQuotes() {
        executable(bin, "node");
        var config = parse(Map.of("PATH", bin.toString(), "fprocess", "node -e 'console.log(\"hi there\")'"), List.of());
        assertThat(config.functionCommand()).containsExactly("node", "-e", "console.log(\"hi there\")");
    }

    @Test
    void resolvesExecutableToItsAbsolutePathOnPath() {
        var node = executable(bin, "node");
        var config = parse(Map.of("PATH", "/nonexistent:" + bin, "fprocess", "node index.js"), List.of());
        assertThat(config.functionExecutable()).contains(node);
    }

    @Test
    void keepsTheCommandAsWrittenWhileResolvingTheExecutable() {
        executable(bin, "node");
        var config = parse(Map.of("PATH", bin.toString(), "fprocess", "node index.js"), List.of());
        assertThat(config.functionCommand()).containsExactly("node", "index.js");
    }

    @Test
    void takesTheFirstMatchingPathEntry(@TempDir Path later) {
        var first = executable(bin, "fn");
        executable(later, "fn");
        assertThat(parse(Map.of("PATH", bin + ":" + later, "fprocess", "fn"), List.of()).functionExecutable()).contains(first);
    }

    @Test
    void skipsFilesThatAreNotExecutable(@TempDir Path later) {
        file(bin, "fn", "rw-r--r--");
        var runnable = executable(later, "fn");
        assertThat(parse(Map.of("PATH", bin + ":" + later, "fprocess", "fn"), List.of()).functionExecutable()).contains(runnable);
    }

    @Test
    void skipsDirectoriesWithTheCommandsName() throws Exception {
        Files.createDirectory(bin.resolve("fn"));
        assertThat(problems(Map.of("PATH", bin.toString(), "fprocess", "fn")))
                .containsExactly("fprocess: \"fn\" (expected: a command whose executable \"fn\" is on PATH)");
    }

    @Test
    void reportsExecutableMissingFromPath() {
        assertThat(problems(Map.of("PATH", bin.toString(), "fprocess", "foo bar")))
                .containsExactly("fprocess: \"foo bar\" (expected: a command whose executable \"foo\" is on PATH)");
    }

    @Test
    void reportsUnsetPath() {
        assertThat(problems(Map.of("fprocess", "foo")))
                .containsExactly("fprocess: \"foo\" (expected: a command whose executable \"foo\" is on PATH, but PATH is not set)");
    }

    @Test
    void ignoresRelativePathEntries() {
        executable(bin, "fn");
        assertThat(problems(Map.of("PATH", "::.:relative", "fprocess", "fn"))).hasSize(1);
    }

    @Test
    void acceptsAnAbsoluteExecutableWithoutSearchingPath() {
        var fn = executable(bin, "fn");
        assertThat(parse(Map.of("fprocess", fn + " arg"), List.of()).functionExecutable()).contains(fn);
    }

    @Test
    void reportsAnAbsolutePathThatIsNotExecutable() {
        var script = file(bin, "script.sh", "rw-r--r--");
        assertThat(problems(Map.of("fprocess", script.toString()))).containsExactly("fprocess: \"" + script
                + "\" (expected: a command whose executable \"" + script + "\" exists and is executable)");
    }

    @Test
    void resolvesARelativePathWithASlashAgainstTheWorkingDirectory() {
        var fn = executable(bin, "fn");
        var relative = Path.of("").toAbsolutePath().relativize(fn);
        assertThat(parse(Map.of("fprocess", relative.toString()), List.of()).functionExecutable()).contains(fn);
    }

    @Test
    void commandOverrideReplacesFprocessVerbatim() {
        executable(bin, "python3");
        var config = parse(Map.of("PATH", bin.toString(), "fprocess", "missing"), List.of("python3", "-c", "print('a b')"));
        assertThat(config.functionCommand()).containsExactly("python3", "-c", "print('a b')");
    }

    @Test
    void commandOverrideIsResolvedOnPath() {
        var python = executable(bin, "python3");
        var config = parse(Map.of("PATH", bin.toString()), List.of("python3", "app.py"));
        assertThat(config.functionExecutable()).contains(python);
    }

    @Test
    void commandOverrideWithAWordThatHasQuotesIsNotSplitAgain() {
        executable(bin, "echo");
        assertThat(parse(Map.of("PATH", bin.toString()), List.of("echo", "'unclosed")).functionCommand())
                .containsExactly("echo", "'unclosed");
    }

    @Test
    void missingOverrideExecutableNamesTheCommandLine() {
        assertThat(problems(Map.of("PATH", bin.toString()), List.of("nope", "x")))
                .containsExactly("command after --: \"nope x\" (expected: a command whose executable \"nope\" is on PATH)");
    }

    @Test
    void unterminatedQuoteIsReportedWithoutAlsoSayingCommandIsMissing() {
        assertThat(problems(Map.of("PATH", bin.toString(), "fprocess", "sh -c \"echo")))
                .containsExactly("fprocess: \"sh -c \\\"echo\" (expected: a command whose quotes are closed;"
                        + " found an unterminated double quote)");
    }
}
