package io.fwatchdog.config;

import static io.fwatchdog.config.ConfigFixture.env;
import static io.fwatchdog.config.ConfigFixture.parse;
import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.config.Config.LogFormat;
import io.fwatchdog.config.Config.ModeName;
import io.fwatchdog.config.Config.RestartPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigDefaultsTest {
    @TempDir
    static Path bin;

    static Stream<Arguments> defaults() {
        return Stream.of(
                defaults("mode", Config::mode, ModeName.STREAMING),
                defaults("upstream_url", Config::upstreamUrl, Optional.empty()),
                defaults("upstream_protocol", Config::upstreamProtocol, Config.UpstreamProtocol.HTTP),
                defaults("port", Config::port, 8080),
                defaults("metrics_port", Config::metricsPort, 8081),
                defaults("read_timeout", Config::readTimeout, Duration.ofSeconds(30)),
                defaults("write_timeout", Config::writeTimeout, Duration.ofSeconds(30)),
                defaults("exec_timeout", Config::execTimeout, Duration.ofSeconds(30)),
                defaults("healthcheck_interval", Config::healthcheckInterval, Duration.ofSeconds(30)),
                defaults("content_type", Config::contentType, "application/octet-stream"),
                defaults("max_inflight", Config::maxInflight, 0),
                defaults("max_queue", Config::maxQueue, 0),
                defaults("buffer_http", Config::bufferHttp, false),
                defaults("max_body_size", Config::maxBodySize, 64L * 1024 * 1024),
                defaults("max_header_size", Config::maxHeaderSize, 1024 * 1024),
                defaults("prefix_logs", Config::prefixLogs, true),
                defaults("log_buffer_size", Config::logBufferSize, 65536),
                defaults("log_callid", Config::logCallId, false),
                defaults("log_format", Config::logFormat, LogFormat.TEXT),
                defaults("ready_path", Config::readyPath, Optional.empty()),
                defaults("suppress_lock", Config::suppressLock, false),
                defaults("lock file", Config::lockFile, Path.of("/tmp/.lock")),
                defaults("static_path", Config::staticPath, Path.of("/home/app/public")),
                defaults("combine_output", Config::combineOutput, false),
                defaults("cgi_headers", Config::cgiHeaders, true),
                defaults("workers", Config::workers, 1),
                defaults("min_workers", Config::minWorkers, 1),
                defaults("idle_timeout", Config::idleTimeout, Duration.ZERO),
                defaults("max_requests", Config::maxRequests, 0),
                defaults("prefork", Config::prefork, 0),
                defaults("startup_timeout", Config::startupTimeout, Duration.ofSeconds(30)),
                defaults("restart_policy", Config::restartPolicy, RestartPolicy.ALWAYS));
    }

    private static Arguments defaults(String variable, Function<Config, Object> component, Object expected) {
        return Arguments.of(variable, component, expected);
    }

    @ParameterizedTest(name = "{0} defaults to {2}")
    @MethodSource("defaults")
    void unsetVariableTakesItsDefault(String variable, Function<Config, Object> component, Object expected) {
        assertThat(component.apply(parse(env(bin)))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} defaults to {2}")
    @MethodSource("defaults")
    void emptyVariableTakesItsDefault(String variable, Function<Config, Object> component, Object expected) {
        assertThat(component.apply(parse(env(bin, variable, "")))).isEqualTo(expected);
    }

    @Test
    void everyVariableHasADefaultCase() {
        var covered = defaults().map(a -> a.get()[0]).toList();
        assertThat(Stream.of(Variable.values()).filter(v -> v != Variable.FPROCESS).map(Variable::envName))
                .allSatisfy(name -> assertThat(covered).contains(name));
    }

    @Test
    void ignoresUnrelatedVariables() {
        assertThat(parse(env(bin, "HOME", "/root", "JAVA_HOME", "x", "Port", "nonsense")).port()).isEqualTo(8080);
    }

    @Test
    void putsLockFileInTmpdir() {
        assertThat(parse(env(bin, "TMPDIR", "/var/tmp")).lockFile()).isEqualTo(Path.of("/var/tmp/.lock"));
    }

    @Test
    void putsLockFileInTmpWhenTmpdirIsEmpty() {
        assertThat(parse(env(bin, "TMPDIR", "")).lockFile()).isEqualTo(Path.of("/tmp/.lock"));
    }

    @Test
    void healthcheckIntervalFollowsWriteTimeoutWhenUnset() {
        assertThat(parse(env(bin, "write_timeout", "7s")).healthcheckInterval()).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void healthcheckIntervalCanBeSetToZeroIndependently() {
        assertThat(parse(env(bin, "write_timeout", "7s", "healthcheck_interval", "0")).healthcheckInterval()).isZero();
    }

    @Test
    void maxQueueDefaultsToTenPerWorkerInAfterburnMode() {
        assertThat(parse(env(bin, "mode", "afterburn", "workers", "4", "min_workers", "2")).maxQueue()).isEqualTo(400);
    }

    @Test
    void explicitMaxQueueWinsInAfterburnMode() {
        assertThat(parse(env(bin, "mode", "afterburn", "workers", "4", "max_queue", "0")).maxQueue()).isZero();
    }

    @Test
    void execTimeoutOfZeroMeansNone() {
        assertThat(parse(env(bin, "exec_timeout", "0")).hasExecTimeout()).isFalse();
    }
}
