package io.fwatchdog.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.fwatchdog.config.Config.ModeName;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Fuzzes the configuration parser with environments of arbitrary values: every one either parses
 * to a configuration that keeps every documented bound, or fails with a ConfigException whose
 * problems are one line each and name a variable. Anything else thrown is a finding.
 */
class ConfigParserFuzzTest {
    /** Every name the parser reads, aliases included. */
    private static final List<String> NAMES = Stream.of(Variable.values())
            .flatMap(v -> Stream.concat(Stream.of(v.envName()), v.alias().stream()))
            .toList();
    private static final Path BIN = bin();

    private static Path bin() {
        try {
            Path dir = Files.createTempDirectory("fuzz-bin");
            ConfigFixture.executable(dir, "fn");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @FuzzTest
    void parsesToAValidConfigOrReportsEachProblemOnItsOwnLine(FuzzedDataProvider data) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", BIN.toString());
        int settings = data.consumeInt(0, 8);
        for (int i = 0; i < settings; i++) {
            env.put(data.pickValue(NAMES), data.consumeString(48));
        }
        List<String> override = new ArrayList<>();
        if (data.consumeInt(0, 7) == 0) {
            override.add(data.consumeBoolean() ? "fn" : data.consumeString(16));
            override.add(data.consumeString(16));
        }
        Config config;
        try {
            config = ConfigParser.parse(env, override);
        } catch (ConfigException e) {
            assertThat(e.problems()).isNotEmpty();
            for (String problem : e.problems()) {
                assertThat(problem).as("one line per problem").doesNotContain("\n", "\r");
                String name = problem.substring(0, Math.max(0, problem.indexOf(": ")));
                assertThat(NAMES.contains(name) || name.equals("command after --"))
                        .as("problem names its variable: %s", problem).isTrue();
            }
            return;
        }
        assertValid(config, env, override);
    }

    private static void assertValid(Config c, Map<String, String> env, List<String> override) {
        assertThat(c.port()).isBetween(0, 65535);
        assertThat(c.metricsPort()).isBetween(0, 65535);
        if (c.port() != 0) {
            assertThat(c.metricsPort()).isNotEqualTo(c.port());
        }
        for (Duration d : List.of(c.readTimeout(), c.writeTimeout(), c.execTimeout(), c.healthcheckInterval(),
                c.idleTimeout(), c.startupTimeout())) {
            assertThat(d.isNegative()).as("negative duration %s", d).isFalse();
        }
        assertThat(c.contentType()).isNotEmpty().doesNotContainPattern("\\p{Cntrl}");
        assertThat(c.maxInflight()).isNotNegative();
        assertThat(c.maxQueue()).isNotNegative();
        assertThat(c.maxBodySize()).isPositive();
        assertThat(c.maxHeaderSize()).isBetween(1 << 10, 64 << 20);
        assertThat(c.logBufferSize() == -1 || c.logBufferSize() >= 1).as("log_buffer_size").isTrue();
        c.readyPath().ifPresent(p -> assertThat(p).startsWith("/"));
        assertThat(c.workers()).isPositive();
        assertThat(c.minWorkers()).isBetween(0, c.workers());
        assertThat(c.prefork()).isNotNegative();
        if (c.prefork() > 0) {
            assertThat(c.mode()).isIn(ModeName.STREAMING, ModeName.SERIALIZING);
            assertThat(c.cgiHeaders()).isFalse();
        }
        if (Set.of(ModeName.STREAMING, ModeName.SERIALIZING, ModeName.AFTERBURN).contains(c.mode())) {
            assertThat(c.functionCommand()).isNotEmpty();
        }
        if (!c.functionCommand().isEmpty()) {
            assertThat(c.functionExecutable()).hasValueSatisfying(p ->
                    assertThat(Files.isRegularFile(p) && Files.isExecutable(p)).isTrue());
            if (!override.isEmpty()) {
                assertThat(c.functionCommand()).isEqualTo(override);
            }
        }
        if (c.mode() == ModeName.HTTP) {
            assertThat(c.upstreamUrl()).isPresent();
        }
        c.upstreamUrl().ifPresent(ConfigParserFuzzTest::assertUpstream);
        // Integers are taken as written: nothing out of range or unparsable comes through as a number.
        given(env, "port").ifPresent(v -> assertThat(c.port()).isEqualTo(Integer.parseInt(v)));
        given(env, "max_inflight").ifPresent(v -> assertThat(c.maxInflight()).isEqualTo(Integer.parseInt(v)));
        given(env, "workers").ifPresent(v -> assertThat(c.workers()).isEqualTo(Integer.parseInt(v)));
    }

    private static void assertUpstream(String url) {
        if (url.startsWith("unix:")) {
            assertThat(url.substring(5)).startsWith("/").hasSizeGreaterThan(1);
            return;
        }
        URI uri = URI.create(url);
        assertThat(uri.getScheme()).isEqualToIgnoringCase("http");
        assertThat(uri.getHost()).isNotNull();
        assertThat(uri.getPort()).isBetween(-1, 65535).isNotZero();
    }

    private static java.util.Optional<String> given(Map<String, String> env, String name) {
        return java.util.Optional.ofNullable(env.get(name)).filter(v -> !v.isEmpty());
    }
}
