package io.fwatchdog.config;

import static io.fwatchdog.config.ConfigFixture.env;
import static io.fwatchdog.config.ConfigFixture.parse;
import static io.fwatchdog.config.ConfigFixture.problems;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fn's environment (FN_LISTENER, FN_FORMAT), which makes the watchdog an Fn hot function. */
class FnEnvironmentTest {
    @TempDir
    static Path bin;
    @TempDir
    Path dir;

    @Test
    void noFnEnvironmentMeansNoFnListener() {
        assertThat(parse(env(bin)).fnListener()).isEmpty();
    }

    @Test
    void readsTheListenersPathFromFnListenerWithHttpStream() {
        var listener = dir.resolve("lsnr.sock");
        assertThat(parse(env(bin, "FN_LISTENER", "unix:" + listener, "FN_FORMAT", "http-stream")).fnListener())
                .contains(listener);
    }

    @Test
    void refusesAListenerThatIsNotAUnixSocketPath() {
        assertThat(problems(env(bin, "FN_LISTENER", "tcp:127.0.0.1:9000", "FN_FORMAT", "http-stream")))
                .singleElement().asString().startsWith("FN_LISTENER: \"tcp:127.0.0.1:9000\" (expected: unix:");
    }

    @Test
    void refusesAListenerInADirectoryThatDoesNotExist() {
        assertThat(problems(env(bin, "FN_LISTENER", "unix:" + dir.resolve("gone/lsnr.sock"), "FN_FORMAT", "http-stream")))
                .singleElement().asString().startsWith("FN_LISTENER: ");
    }

    @Test
    void refusesAListenerPathTooLongForASocket() {
        var listener = dir.resolve("x".repeat(120) + ".sock");
        assertThat(problems(env(bin, "FN_LISTENER", "unix:" + listener, "FN_FORMAT", "http-stream")))
                .singleElement().asString().startsWith("FN_LISTENER: ").contains("at most 107 bytes");
    }

    @Test
    void refusesAFormatOtherThanHttpStream() {
        assertThat(problems(env(bin, "FN_LISTENER", "unix:" + dir.resolve("lsnr.sock"), "FN_FORMAT", "json")))
                .containsExactly("FN_FORMAT: \"json\" (expected: http-stream, the only Fn format the watchdog speaks)");
    }

    @Test
    void refusesHalfOfFnsEnvironment() {
        assertThat(problems(env(bin, "FN_FORMAT", "http-stream"))).singleElement().asString().startsWith("FN_LISTENER: not set");
        assertThat(problems(env(bin, "FN_LISTENER", "unix:" + dir.resolve("lsnr.sock"))))
                .singleElement().asString().startsWith("FN_FORMAT: not set");
    }
}
