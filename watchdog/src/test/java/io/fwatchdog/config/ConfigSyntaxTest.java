package io.fwatchdog.config;

import static io.fwatchdog.config.ConfigFixture.env;
import static io.fwatchdog.config.ConfigFixture.parse;
import static io.fwatchdog.config.ConfigFixture.problems;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.config.Config.LogFormat;
import io.fwatchdog.config.Config.ModeName;
import io.fwatchdog.config.Config.RestartPolicy;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** How each value syntax of the settings (README, Settings) reads, shown through the variables that use it. */
class ConfigSyntaxTest {
    @TempDir
    static Path bin;

    @ParameterizedTest(name = "\"{0}\" is {1}")
    @CsvSource({
        "10, PT10S",
        "0, PT0S",
        "500ms, PT0.5S",
        "30s, PT30S",
        "1m30s, PT1M30S",
        "1.5h, PT1H30M",
        "2h45m0.5s, PT2H45M0.5S",
        ".5s, PT0.5S",
        "1us, PT0.000001S",
        "1µs, PT0.000001S",
        "250ns, PT0.00000025S",
        "1s1s, PT2S",
    })
    void readsSecondsOrGoDurations(String text, Duration expected) {
        assertThat(parse(env(bin, "exec_timeout", text)).execTimeout()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "\"{0}\" is rejected")
    @ValueSource(strings = {"-1s", "-1", "10x", "1.5", "s", "1 s", "+1s", "1h-1m", "1.2.3s", "ms", "99999999999999999999h"})
    void rejectsNegativeOrMalformedDurations(String text) {
        assertThat(problems(env(bin, "exec_timeout", text)))
                .containsExactly("exec_timeout: \"" + text + "\" (expected: seconds or a duration like 30s)");
    }

    @ParameterizedTest(name = "\"{0}\" is {1}")
    @CsvSource({"true, true", "TRUE, true", "1, true", "yes, true", "On, true",
        "false, false", "False, false", "0, false", "NO, false", "off, false"})
    void readsBooleanSpellingsInAnyCase(String text, boolean expected) {
        assertThat(parse(env(bin, "suppress_lock", text)).suppressLock()).isEqualTo(expected);
    }

    @Test
    void rejectsOtherBooleanWords() {
        assertThat(problems(env(bin, "suppress_lock", "enabled")))
                .containsExactly("suppress_lock: \"enabled\" (expected: true, false, 1, 0, yes, no, on or off)");
    }

    @ParameterizedTest(name = "\"{0}\" is {1} bytes")
    @CsvSource({"1, 1", "1000, 1000", "64Ki, 65536", "2Mi, 2097152", "3Gi, 3221225472"})
    void readsSizesInBytesOrBinarySuffixes(String text, long expected) {
        assertThat(parse(env(bin, "max_body_size", text)).maxBodySize()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "\"{0}\" is rejected")
    @ValueSource(strings = {"1M", "1KB", "64mi", "1k", "1.5Mi", "-5", "Mi", "0"})
    void rejectsDecimalOrMiscasedSizeSuffixes(String text) {
        assertThat(problems(env(bin, "max_body_size", text)))
                .containsExactly("max_body_size: \"" + text + "\" (expected: a size of at least 1 byte, like 64Mi)");
    }

    @Test
    void logBufferSizeAcceptsMinusOneForUnlimited() {
        assertThat(parse(env(bin, "log_buffer_size", "-1")).logBufferSize()).isEqualTo(-1);
    }

    @Test
    void logBufferSizeAcceptsASuffix() {
        assertThat(parse(env(bin, "log_buffer_size", "1Mi")).logBufferSize()).isEqualTo(1 << 20);
    }

    @Test
    void maxHeaderSizeAcceptsItsBounds() {
        assertThat(parse(env(bin, "max_header_size", "1Ki")).maxHeaderSize()).isEqualTo(1024);
        assertThat(parse(env(bin, "max_header_size", "64Mi")).maxHeaderSize()).isEqualTo(64 << 20);
    }

    @ParameterizedTest(name = "\"{0}\" is rejected")
    @ValueSource(strings = {"1023", "65Mi"})
    void maxHeaderSizeRejectsValuesOutside1KiTo64Mi(String text) {
        assertThat(problems(env(bin, "max_header_size", text)))
                .containsExactly("max_header_size: \"" + text + "\" (expected: a size from 1Ki to 64Mi)");
    }

    @Test
    void portZeroMeansAnyFreePort() {
        assertThat(parse(env(bin, "port", "0")).port()).isZero();
    }

    @Test
    void metricsPortZeroDisablesMetrics() {
        assertThat(parse(env(bin, "metrics_port", "0")).metricsPort()).isZero();
    }

    @ParameterizedTest(name = "\"{0}\" is rejected")
    @ValueSource(strings = {"65536", "-1", "80.0", "0x50", "99999999999999999999"})
    void rejectsPortsOutOfRangeOrNotDecimal(String text) {
        assertThat(problems(env(bin, "port", text)))
                .containsExactly("port: \"" + text + "\" (expected: an integer from 0 to 65535)");
    }

    @Test
    void readsModeInAnyCase() {
        assertThat(parse(env(bin, "mode", "Serializing")).mode()).isEqualTo(ModeName.SERIALIZING);
    }

    @Test
    void readsJsonLogFormat() {
        assertThat(parse(env(bin, "log_format", "JSON")).logFormat()).isEqualTo(LogFormat.JSON);
    }

    @Test
    void readsRestartPolicyWithDash() {
        assertThat(parse(env(bin, "restart_policy", "on-failure")).restartPolicy()).isEqualTo(RestartPolicy.ON_FAILURE);
    }

    @Test
    void readsReadyPathStartingWithSlash() {
        assertThat(parse(env(bin, "ready_path", "/healthz")).readyPath()).contains("/healthz");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"http://127.0.0.1:5000", "http://localhost:5000/api", "http://localhost", "HTTP://[::1]:8000", "unix:/tmp/fn.sock"})
    void acceptsHttpOrUnixUpstreams(String url) {
        assertThat(parse(env(bin, "mode", "http", "upstream_url", url)).upstreamUrl()).contains(url);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"https://localhost:5000", "localhost:5000", "unix:relative.sock", "unix:",
        "http://localhost:99999", "http://user@localhost:1", "http://localhost:1/?q=1", "http:///path"})
    void rejectsOtherUpstreams(String url) {
        assertThat(problems(env(bin, "mode", "http", "upstream_url", url)))
                .containsExactly("upstream_url: \"" + url + "\" (expected: http://host[:port][/prefix] or unix:/absolute/path)");
    }

    @Test
    void quotesValuesWithQuotesAndBackslashesEscaped() {
        assertThat(problems(env(bin, "port", "\"8\\0\"")))
                .containsExactly("port: \"\\\"8\\\\0\\\"\" (expected: an integer from 0 to 65535)");
    }
}
