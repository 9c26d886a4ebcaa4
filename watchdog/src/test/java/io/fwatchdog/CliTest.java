package io.fwatchdog;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.config.Config;
import io.fwatchdog.config.Variable;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line, run with a fake watchdog that records the configuration it would have started with. */
class CliTest {
    @TempDir
    Path bin;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Map<String, String> env = new HashMap<>();
    private Config started;

    @BeforeEach
    void functionOnPath() throws IOException {
        for (var name : new String[] {"fn", "cat", "sh"}) {
            var file = Files.writeString(bin.resolve(name), "#!/bin/sh\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        env.put("PATH", bin.toString());
        env.put("fprocess", "fn");
    }

    private int run(String... args) {
        return Cli.run(args, env, new PrintStream(out, true), new PrintStream(err, true), config -> {
            started = config;
            return 0;
        });
    }

    private String out() {
        return out.toString(Charset.defaultCharset());
    }

    private String err() {
        return err.toString(Charset.defaultCharset());
    }

    @Test
    void startsWatchdogWithConfigurationFromEnvironment() {
        env.put("exec_timeout", "10s");
        assertThat(run()).isZero();
        assertThat(started.execTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void exitsWithTheWatchdogsStatus() {
        var status = Cli.run(new String[0], env, new PrintStream(out), new PrintStream(err), config -> 7);
        assertThat(status).isEqualTo(7);
    }

    @Test
    void flagOverridesEnvironmentVariable() {
        env.put("exec_timeout", "10s");
        run("--exec-timeout", "5s");
        assertThat(started.execTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void flagAcceptsEqualsForm() {
        run("--port=9000", "--metrics-port=0");
        assertThat(started.port()).isEqualTo(9000);
    }

    @Test
    void canonicalFlagOverridesAliasInEnvironment() {
        env.put("function_process", "cat");
        run("--fprocess", "sh -c 'echo hi'");
        assertThat(started.functionCommand()).containsExactly("sh", "-c", "echo hi");
    }

    @Test
    void bareBooleanFlagMeansTrue() {
        run("--buffer-http");
        assertThat(started.bufferHttp()).isTrue();
    }

    @Test
    void booleanFlagTakesAnExplicitValue() {
        run("--prefix-logs", "false");
        assertThat(started.prefixLogs()).isFalse();
    }

    @Test
    void emptyFlagValueRestoresTheDefault() {
        env.put("port", "9000");
        run("--port=");
        assertThat(started.port()).isEqualTo(8080);
    }

    @Test
    void commandAfterDoubleDashOverridesFprocess() {
        run("--", "cat", "-n");
        assertThat(started.functionCommand()).containsExactly("cat", "-n");
    }

    @Test
    void commandAfterDoubleDashIsTakenVerbatim() {
        run("--", "sh", "-c", "echo 'a b' @file --port 1");
        assertThat(started.functionCommand()).containsExactly("sh", "-c", "echo 'a b' @file --port 1");
    }

    @Test
    void optionsAfterDoubleDashBelongToTheCommand() {
        run("--port", "9000", "--", "cat", "--port", "1");
        assertThat(started.port()).isEqualTo(9000);
        assertThat(started.functionCommand()).containsExactly("cat", "--port", "1");
    }

    @Test
    void commandWithoutDoubleDashIsAUsageError() {
        assertThat(run("cat")).isEqualTo(2);
        assertThat(err()).contains("Unmatched argument");
        assertThat(started).isNull();
    }

    @Test
    void unknownFlagExitsWithStatus2() {
        assertThat(run("--no-such-flag")).isEqualTo(2);
        assertThat(err()).contains("Unknown option: '--no-such-flag'");
        assertThat(started).isNull();
    }

    @Test
    void unknownFlagPrintsTheErrorAndWhereTheHelpIsInsteadOfTheUsage() {
        run("--no-such-flag");

        assertThat(err().lines()).containsExactly(
                "fwatchdog: Unknown option: '--no-such-flag'",
                "Try 'fwatchdog --help' for the options.");
        assertThat(out()).isEmpty();
    }

    @Test
    void misspeltFlagSuggestsTheFlagMeant() {
        run("--exec-timeot", "1s");

        assertThat(err()).contains("--exec-timeout").contains("--help").doesNotContain("Usage:");
    }

    @Test
    void invalidFlagValueExitsWithStatus2NamingTheVariable() {
        assertThat(run("--exec-timeout", "10x")).isEqualTo(2);
        assertThat(err()).isEqualTo("fwatchdog: invalid configuration:" + System.lineSeparator()
                + "  exec_timeout: \"10x\" (expected: seconds or a duration like 30s)" + System.lineSeparator());
        assertThat(started).isNull();
    }

    @Test
    void invalidEnvironmentListsEveryProblemOnItsOwnLine() {
        env.put("port", "x");
        env.put("log_format", "xml");
        assertThat(run()).isEqualTo(2);
        assertThat(err().lines()).containsExactly(
                "fwatchdog: invalid configuration:",
                "  port: \"x\" (expected: an integer from 0 to 65535)",
                "  log_format: \"xml\" (expected: one of text, json)");
    }

    @Test
    void preforkWithCgiHeadersExitsWithStatus2SayingWhyAndHowToFixIt() {
        env.put("prefork", "4");
        assertThat(run()).isEqualTo(2);
        assertThat(err()).contains("prefork: \"4\"", "cgi_headers is true",
                "a preforked process is started before its request exists", "set cgi_headers=false to prefork");
        assertThat(started).isNull();
    }

    @Test
    void missingExecutableAfterDoubleDashIsAConfigurationError() {
        assertThat(run("--", "no-such-program")).isEqualTo(2);
        assertThat(err()).contains("command after --: \"no-such-program\"");
    }

    @Test
    void helpListsEveryFlagWithItsVariableAndDefault() {
        assertThat(run("--help")).isZero();
        assertThat(Variable.values()).allSatisfy(variable -> assertThat(out())
                .containsPattern(variable.flag() + "(\\[?=)" + variable.paramLabel())
                .containsPattern(variable.envName() + "( \\(or " + variable.alias().orElse("") + "\\))?:"));
        // Help wraps long descriptions; compare with the wrapping undone.
        assertThat(out().replaceAll("\\s+", " "))
                .contains("exec_timeout: per-request limit for the function; 0 = none (default: 30s)");
    }

    @Test
    void helpNamesTheAliases() {
        run("--help");
        assertThat(out()).contains("fprocess (or function_process):", "upstream_url (or http_upstream_url):",
                "buffer_http (or http_buffer_req_body):");
    }

    @Test
    void helpExplainsDoubleDashAndEnvironment() {
        run("--help");
        assertThat(out()).contains("[-- COMMAND [ARG...]]").contains("can also be set in the environment");
    }

    @Test
    void helpDoesNotStartTheWatchdog() {
        run("--help");
        assertThat(started).isNull();
    }

    @Test
    void versionPrintsNameAndVersion() {
        assertThat(run("--version")).isZero();
        assertThat(out()).isEqualTo("fwatchdog dev" + System.lineSeparator());
    }

    @Test
    void healthcheckSucceedsWhenLockFileExists(@TempDir Path tmp) throws IOException {
        Files.createFile(tmp.resolve(".lock"));
        env.put("TMPDIR", tmp.toString());
        assertThat(run("healthcheck")).isZero();
        assertThat(err()).isEmpty();
    }

    @Test
    void healthcheckFailsWhenLockFileIsMissing(@TempDir Path tmp) {
        env.put("TMPDIR", tmp.toString());
        assertThat(run("healthcheck")).isEqualTo(1);
        assertThat(err()).isEqualTo("unable to find lock file." + System.lineSeparator());
    }

    @Test
    void runHealthcheckFlagSucceedsWhenLockFileExists(@TempDir Path tmp) throws IOException {
        Files.createFile(tmp.resolve(".lock"));
        env.put("TMPDIR", tmp.toString());
        assertThat(run("--run-healthcheck")).isZero();
    }

    @Test
    void runHealthcheckFlagFailsWhenLockFileIsMissing(@TempDir Path tmp) {
        env.put("TMPDIR", tmp.toString());
        assertThat(run("--run-healthcheck")).isEqualTo(1);
        assertThat(err()).contains("unable to find lock file.");
    }

    @Test
    void healthcheckIgnoresAnInvalidConfiguration(@TempDir Path tmp) throws IOException {
        Files.createFile(tmp.resolve(".lock"));
        env.put("TMPDIR", tmp.toString());
        env.put("port", "not a port");
        env.remove("fprocess");
        assertThat(run("healthcheck")).isZero();
        assertThat(run("--run-healthcheck")).isZero();
        assertThat(started).isNull();
    }
}
