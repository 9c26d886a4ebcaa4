package io.fwatchdog;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.config.Config;
import io.fwatchdog.config.Variable;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The environment the AOT training starts its watchdogs from: whatever the machine that builds
 * the image has set, training binds only free ports and runs only its own functions.
 */
class TrainingTest {
    @TempDir
    Path tmpdir;

    /** Every watchdog setting, set as a build machine might, ports included. */
    private static Map<String, String> busyMachine() {
        var inherited = new HashMap<String, String>();
        inherited.put("PATH", "/usr/bin:/bin");
        inherited.put("HOME", "/root");
        inherited.put("port", "8080");
        inherited.put("metrics_port", "8081");
        inherited.put("mode", "http");
        inherited.put("fprocess", "python3 index.py");
        inherited.put("function_process", "node index.js");
        inherited.put("upstream_url", "http://127.0.0.1:5000");
        inherited.put("max_inflight", "1");
        inherited.put("TMPDIR", "/var/tmp");
        return inherited;
    }

    @Test
    void noSettingOfTheBuildMachineReachesTraining() {
        Map<String, String> environment = Training.trainingEnvironment(busyMachine(), tmpdir);

        for (Variable variable : Variable.values()) {
            switch (variable) {
                case PORT, METRICS_PORT -> assertThat(environment).containsEntry(variable.envName(), "0");
                case HEALTHCHECK_INTERVAL -> assertThat(environment).containsEntry(variable.envName(), "0");
                default -> assertThat(environment).doesNotContainKey(variable.envName());
            }
            variable.alias().ifPresent(alias -> assertThat(environment).doesNotContainKey(alias));
        }
        assertThat(environment).containsEntry("TMPDIR", tmpdir.toString())
                .containsEntry("PATH", "/usr/bin:/bin")
                .containsEntry("HOME", "/root");
    }

    @Test
    void theCommandLineReadsItAsAnyPortAndNoMetricsListener() {
        var env = new HashMap<>(Training.trainingEnvironment(busyMachine(), tmpdir));
        env.put("fprocess", "cat");
        Config[] parsed = new Config[1];
        var err = new ByteArrayOutputStream();
        int status = Cli.run(new String[0], env, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), config -> {
                    parsed[0] = config;
                    return 0;
                });

        assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(parsed[0].port()).isZero();
        assertThat(parsed[0].metricsPort()).as("0: no metrics listener where a run binds what it is told").isZero();
    }
}
