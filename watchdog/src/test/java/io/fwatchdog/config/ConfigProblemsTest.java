package io.fwatchdog.config;

import static io.fwatchdog.config.ConfigFixture.env;
import static io.fwatchdog.config.ConfigFixture.parse;
import static io.fwatchdog.config.ConfigFixture.problems;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Invalid values, missing values and contradictions, each reported with name, value and expectation. */
class ConfigProblemsTest {
    @TempDir
    static Path bin;

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
        mode                 | turbo      | one of streaming, serializing, http, afterburn, static
        fprocess             | echo 'hi   | a command whose quotes are closed; found an unterminated single quote
        upstream_url         | ftp://x    | http://host[:port][/prefix] or unix:/absolute/path
        upstream_protocol    | grpc       | one of http, fn
        port                 | http       | an integer from 0 to 65535
        metrics_port         | 65536      | an integer from 0 to 65535
        read_timeout         | 10x        | seconds or a duration like 30s
        write_timeout        | -1s        | seconds or a duration like 30s
        exec_timeout         | 10x        | seconds or a duration like 30s
        healthcheck_interval | soon       | seconds or a duration like 30s
        max_inflight         | -1         | an integer of 0 or more
        max_queue            | many       | an integer of 0 or more
        buffer_http          | maybe      | true, false, 1, 0, yes, no, on or off
        max_body_size        | 0          | a size of at least 1 byte, like 64Mi
        max_header_size      | 100        | a size from 1Ki to 64Mi
        prefix_logs          | 2          | true, false, 1, 0, yes, no, on or off
        log_buffer_size      | 0          | a size of at least 1 byte like 64Ki, or -1 for unlimited
        log_callid           | y          | true, false, 1, 0, yes, no, on or off
        log_format           | xml        | one of text, json
        ready_path           | ready      | a path starting with /, without spaces or control characters
        ready_path           | /a b       | a path starting with /, without spaces or control characters
        suppress_lock        | nope       | true, false, 1, 0, yes, no, on or off
        combine_output       | x          | true, false, 1, 0, yes, no, on or off
        cgi_headers          | x          | true, false, 1, 0, yes, no, on or off
        workers              | 0          | an integer of 1 or more
        min_workers          | -1         | an integer of 0 or more
        idle_timeout         | 5 minutes  | seconds or a duration like 30s
        max_requests         | 1.5        | an integer of 0 or more
        prefork              | -2         | an integer of 0 or more
        startup_timeout      | forever    | seconds or a duration like 30s
        restart_policy       | sometimes  | one of always, on-failure, never
        """)
    void namesVariableValueAndExpectation(String variable, String value, String expected) {
        assertThat(problems(env(bin, variable, value)))
                .containsExactly(variable + ": \"" + value + "\" (expected: " + expected + ")");
    }

    @Test
    void rejectsControlCharactersInContentType() {
        assertThat(problems(env(bin, "content_type", "text/plain\r\nX-Evil: 1")))
                .containsExactly("content_type: \"text/plain\\r\\nX-Evil: 1\" (expected: a media type like text/plain)");
    }

    @Test
    void rejectsStaticPathThatCannotBeAPath() {
        assertThat(problems(env(bin, "static_path", "a\0b")))
                .containsExactly("static_path: \"a\\u0000b\" (expected: a directory path)");
    }

    @Test
    void reportsAllProblemsTogetherInVariableOrder() {
        assertThat(problems(env(bin, "exec_timeout", "10x", "port", "http", "log_format", "xml")))
                .containsExactly(
                        "port: \"http\" (expected: an integer from 0 to 65535)",
                        "exec_timeout: \"10x\" (expected: seconds or a duration like 30s)",
                        "log_format: \"xml\" (expected: one of text, json)");
    }

    @Test
    void escapesALineBreakInAValueSoItCannotPassForAnotherProblem() {
        var e = catchThrowableOfType(ConfigException.class,
                () -> Config.parse(env(bin, "log_callid", "x\n  port: \"1\" (expected: 2)")));
        assertThat(e).hasMessage("log_callid: \"x\\n  port: \\\"1\\\" (expected: 2)\" (expected: "
                + "true, false, 1, 0, yes, no, on or off)");
    }

    @Test
    void exceptionMessageHasOneProblemPerLine() {
        var e = catchThrowableOfType(ConfigException.class, () -> Config.parse(env(bin, "port", "x", "workers", "x")));
        assertThat(e).hasMessage("port: \"x\" (expected: an integer from 0 to 65535)\n"
                + "workers: \"x\" (expected: an integer of 1 or more)");
    }

    @Test
    void saysInprocModeIsNotSupportedYet() {
        assertThat(problems(env(bin, "mode", "inproc"))).containsExactly("mode: \"inproc\" (expected: one of streaming,"
                + " serializing, http, afterburn, static; inproc mode is not supported yet)");
    }

    @Test
    void pointsModeFnAtUpstreamProtocol() {
        assertThat(problems(env(bin, "mode", "fn"))).containsExactly("mode: \"fn\" (expected: one of streaming,"
                + " serializing, http, afterburn, static; an Fn FDK function runs in http mode with upstream_protocol=fn)");
    }

    // ---- upstream_protocol=fn ----

    @Test
    void fnNeedsNoUpstreamUrlAndQueuesCallersForItsOneCallAtATime() {
        var config = parse(env(bin, "mode", "http", "upstream_protocol", "FN"));
        assertThat(config.upstreamProtocol()).isEqualTo(Config.UpstreamProtocol.FN);
        assertThat(config.upstreamUrl()).isEmpty();
        assertThat(config.maxQueue()).isEqualTo(100);
    }

    @Test
    void fnRefusesAnUpstreamUrlOfItsOwn() {
        assertThat(problems(env(bin, "mode", "http", "upstream_protocol", "fn", "upstream_url", "http://127.0.0.1:9000")))
                .containsExactly("upstream_url: \"http://127.0.0.1:9000\" (expected: unset with upstream_protocol=fn:"
                        + " the watchdog makes the function's socket and gives it as FN_LISTENER)");
    }

    @Test
    void fnRefusesReadyPath() {
        assertThat(problems(env(bin, "mode", "http", "upstream_protocol", "fn", "ready_path", "/ready")))
                .containsExactly("ready_path: \"/ready\" (expected: unset with upstream_protocol=fn: an Fn function"
                        + " is ready once it listens, and serves nothing but its calls)");
    }

    @Test
    void fnNeedsTheFunctionCommand() {
        assertThat(problems(withoutCommand("mode", "http", "upstream_protocol", "fn")))
                .containsExactly("fprocess: not set (expected: the Fn function command in fprocess, or after -- on the"
                        + " command line, with upstream_protocol=fn)");
    }

    @Test
    void fnAppliesToHttpModeOnly() {
        assertThat(problems(env(bin, "upstream_protocol", "fn")))
                .containsExactly("upstream_protocol: \"fn\" (expected: http in streaming mode; upstream_protocol"
                        + " applies to http mode only)");
    }

    @Test
    void unknownModeSkipsModeRequirements() {
        assertThat(problems(withoutCommand("mode", "htp"))).hasSize(1);
    }

    // ---- aliases ----

    @Test
    void functionProcessWinsOverFprocess() {
        ConfigFixture.executable(bin, "other");
        assertThat(parse(env(bin, "function_process", "other --flag")).functionCommand()).containsExactly("other", "--flag");
    }

    @Test
    void httpUpstreamUrlWinsOverUpstreamUrl() {
        var config = parse(env(bin, "mode", "http", "upstream_url", "http://a:1", "http_upstream_url", "http://b:2"));
        assertThat(config.upstreamUrl()).contains("http://b:2");
    }

    @Test
    void httpBufferReqBodyWinsOverBufferHttp() {
        assertThat(parse(env(bin, "buffer_http", "false", "http_buffer_req_body", "true")).bufferHttp()).isTrue();
    }

    @Test
    void emptyAliasLetsCanonicalNameApply() {
        assertThat(parse(env(bin, "buffer_http", "true", "http_buffer_req_body", "")).bufferHttp()).isTrue();
    }

    @Test
    void namesTheAliasWhenItsValueIsInvalid() {
        assertThat(problems(env(bin, "http_buffer_req_body", "sure")))
                .containsExactly("http_buffer_req_body: \"sure\" (expected: true, false, 1, 0, yes, no, on or off)");
    }

    // ---- missing values ----

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"streaming", "serializing", "afterburn"})
    void requiresFunctionCommandInModesThatRunIt(String mode) {
        assertThat(problems(withoutCommand("mode", mode))).containsExactly("fprocess: not set (expected: the function command"
                + " in fprocess, or after -- on the command line, in " + mode + " mode)");
    }

    @Test
    void blankFprocessCountsAsNotSet() {
        assertThat(problems(withoutCommand("fprocess", "   "))).singleElement().asString().startsWith("fprocess: not set");
    }

    @Test
    void requiresUpstreamUrlInHttpMode() {
        assertThat(problems(env(bin, "mode", "http"))).containsExactly(
                "upstream_url: not set (expected: http://host[:port][/prefix] or unix:/absolute/path in http mode)");
    }

    @Test
    void httpModeRunsWithoutFunctionCommand() {
        var config = parse(withoutCommand("mode", "http", "upstream_url", "http://127.0.0.1:9000"));
        assertThat(config.functionCommand()).isEmpty();
    }

    @Test
    void staticModeNeedsNoCommand(@TempDir Path site) {
        assertThat(parse(withoutCommand("mode", "static", "static_path", site.toString())).functionExecutable()).isEmpty();
    }

    @Test
    void staticModeIgnoresAnImageWideFprocess(@TempDir Path site) {
        var config = parse(withoutCommand("mode", "static", "static_path", site.toString(), "fprocess", "not-on-path"));
        assertThat(config.functionCommand()).isEmpty();
    }

    @Test
    void staticModeRequiresAnExistingDirectory() {
        assertThat(problems(withoutCommand("mode", "static", "static_path", "/does/not/exist")))
                .containsExactly("static_path: \"/does/not/exist\" (expected: an existing directory to serve in static mode)");
    }

    // ---- contradictions ----

    @Test
    void preforkWithCgiHeadersExplainsWhyAndHowToFix() {
        assertThat(problems(env(bin, "prefork", "2"))).containsExactly("prefork: \"2\" (expected: 0 while cgi_headers is true:"
                + " a preforked process is started before its request exists, so its environment cannot carry the"
                + " request's Http_* variables; set cgi_headers=false to prefork)");
    }

    @Test
    void preforkWithoutCgiHeadersIsAccepted() {
        assertThat(parse(env(bin, "prefork", "2", "cgi_headers", "false", "mode", "serializing")).prefork()).isEqualTo(2);
    }

    @Test
    void preforkIsOnlyForStreamingAndSerializing() {
        assertThat(problems(env(bin, "prefork", "2", "cgi_headers", "false", "mode", "afterburn"))).containsExactly(
                "prefork: \"2\" (expected: 0 in afterburn mode; prefork applies to streaming and serializing modes only)");
    }

    @Test
    void metricsPortEqualToPortIsAProblem() {
        assertThat(problems(env(bin, "port", "9000", "metrics_port", "9000")))
                .containsExactly("metrics_port: \"9000\" (expected: a port other than port 9000, or 0 to disable metrics)");
    }

    @Test
    void portSetToTheMetricsDefaultIsAProblem() {
        assertThat(problems(env(bin, "port", "8081")))
                .containsExactly("metrics_port: \"8081\" (expected: a port other than port 8081, or 0 to disable metrics)");
    }

    @Test
    void bothPortsZeroIsAccepted() {
        var config = parse(env(bin, "port", "0", "metrics_port", "0"));
        assertThat(config.port()).isEqualTo(config.metricsPort()).isZero();
    }

    @Test
    void minWorkersAboveWorkersIsAProblem() {
        assertThat(problems(env(bin, "workers", "2", "min_workers", "3")))
                .containsExactly("min_workers: \"3\" (expected: at most workers (2))");
    }

    @Test
    void invalidWorkersDoesNotAlsoBlameMinWorkers() {
        assertThat(problems(env(bin, "workers", "x", "min_workers", "3"))).hasSize(1);
    }

    @Test
    void minWorkersZeroIsAccepted() {
        assertThat(parse(env(bin, "min_workers", "0")).minWorkers()).isZero();
    }

    @Test
    void acceptsAFullAfterburnConfiguration() {
        var config = parse(env(bin, "mode", "afterburn", "workers", "8", "min_workers", "2", "idle_timeout", "5m",
                "max_requests", "1000", "startup_timeout", "1m", "restart_policy", "never"));
        assertThat(config.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
    }

    /** An environment with PATH pointing at {@code bin} but no fprocess, plus {@code pairs}. */
    private static Map<String, String> withoutCommand(String... pairs) {
        var env = new HashMap<>(env(bin, pairs));
        if (!Arrays.asList(pairs).contains("fprocess")) {
            env.remove("fprocess");
        }
        return env;
    }
}
