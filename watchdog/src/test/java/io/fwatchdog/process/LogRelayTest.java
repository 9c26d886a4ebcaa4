package io.fwatchdog.process;

import static io.fwatchdog.testing.Processes.DEADLINE;
import static io.fwatchdog.testing.Processes.ENV;
import static io.fwatchdog.testing.Processes.which;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LogRelayTest {
    private static final Path SH = which("sh");

    private static ProcessLauncher launcher;
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final List<FunctionProcess> started = new ArrayList<>();

    @BeforeAll
    static void createLauncher() {
        launcher = ProcessLauncher.create();
    }

    @AfterAll
    static void closeLauncher() {
        launcher.close();
    }

    @AfterEach
    void endEveryProcess() throws Exception {
        for (FunctionProcess process : started) {
            process.kill();
            process.onExit().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            process.stdin().close();
            process.stdout().close();
            process.stderr().close();
        }
        assertThat(launcher.liveProcesses()).isZero();
    }

    /** Runs the script, relays its stdout with the given limit, waits until drained and exited. */
    private List<String> relay(String script, int maxLineBytes) throws Exception {
        FunctionProcess sh = launcher.start(SH, List.of("sh", "-c", script), ENV);
        started.add(sh);
        LogRelay.start(sh.stdout(), "stdout", maxLineBytes, false, (stream, line, prefix) -> lines.add(line))
                .get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(sh.onExit().get(DEADLINE.toSeconds(), TimeUnit.SECONDS).success()).isTrue();
        return lines;
    }

    @Test
    void splitsOnNewlinesAndDropsCarriageReturns() throws Exception {
        assertThat(relay("printf 'one\\r\\ntwo\\n\\nthree\\n'", 100)).containsExactly("one", "two", "", "three");
    }

    @Test
    void emitsTheFinalPartialLineAtEndOfFile() throws Exception {
        assertThat(relay("printf 'first\\nno newline'", 100)).containsExactly("first", "no newline");
    }

    @Test
    void splitsLinesLongerThanTheLimitIntoPieces() throws Exception {
        assertThat(relay("printf 'abcdefghij\\nabcd\\nabcde'", 4)).containsExactly("abcd", "efgh", "ij", "abcd", "abcd", "e");
    }

    @Test
    void cutsLongLinesBetweenCharacters() throws Exception {
        // 'é' is two bytes: a four-byte piece would end in its middle.
        assertThat(relay("printf 'aaa\\303\\251b\\n'", 4)).containsExactly("aaa", "éb");
    }

    @Test
    void decodesUtf8AndReplacesMalformedBytes() throws Exception {
        assertThat(relay("printf 'h\\303\\251llo \\377!\\n'", 100)).containsExactly("héllo \uFFFD!");
    }

    @Test
    void keepsLongLinesWholeWithoutALimit() throws Exception {
        assertThat(relay("head -c 200000 /dev/zero | tr '\\0' x", -1)).singleElement()
                .satisfies(line -> assertThat(line).hasSize(200_000).matches("x+"));
    }

    @Test
    void consumesTenMebibytesWithoutNewlineSoTheWriterFinishes() throws Exception {
        List<String> pieces = relay("head -c 10485760 /dev/zero | tr '\\0' y", 65536);

        assertThat(pieces).hasSize(160).allSatisfy(piece -> assertThat(piece).hasSize(65536));
    }

    @Test
    void passesStreamNameAndPrefixFlagToTheSink() throws Exception {
        FunctionProcess sh = launcher.start(SH, List.of("sh", "-c", "echo oops >&2"), ENV);
        started.add(sh);

        LogRelay.start(sh.stderr(), "stderr", 100, true, (stream, line, prefix) -> lines.add(stream + "|" + prefix + "|" + line))
                .get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

        assertThat(lines).containsExactly("stderr|true|oops");
    }

    @Test
    void rejectsAZeroLimit() {
        assertThatThrownBy(() -> LogRelay.start(Channels.newChannel(InputStream.nullInputStream()), "stdout", 0, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxLineBytes: 0 (expected: positive or -1)");
    }
}
