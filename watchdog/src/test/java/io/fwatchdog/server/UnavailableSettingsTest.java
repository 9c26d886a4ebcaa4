package io.fwatchdog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.fwatchdog.config.Config;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings of the contract that this version does not implement are refused, never ignored. */
class UnavailableSettingsTest {

    @TempDir
    Path tmp;

    private Config config(String... settings) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("PATH", System.getenv("PATH"), "TMPDIR", tmp.toString(),
                "port", "0", "metrics_port", "0", "fprocess", "cat"));
        for (int i = 0; i < settings.length; i += 2) {
            env.put(settings[i], settings[i + 1]);
        }
        return Config.parse(env);
    }

    @Test
    void namesEveryUnavailableSettingWithItsValue() throws Exception {
        var config = config("ready_path", "/ready");

        assertThat(Watchdog.unavailable(config)).containsExactly(
                "ready_path: \"/ready\" is not available in this version (expected: unset)");
    }

    @Test
    void exitsWithStatus2BeforeListeningOrWritingTheLockFile() throws Exception {
        var config = config("ready_path", "/ready");
        PrintStream original = System.err;
        var captured = new ByteArrayOutputStream();
        int status;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            status = Watchdog.run(config);
        } finally {
            System.setErr(original);
        }

        assertThat(status).isEqualTo(2);
        assertThat(captured.toString(StandardCharsets.UTF_8)).contains("ready_path: \"/ready\" is not available");
        assertThat(Files.exists(tmp.resolve(".lock"))).isFalse();
    }

    @Test
    void acceptsTheSettingsThisVersionImplements() throws Exception {
        assertThat(Watchdog.unavailable(config("mode", "serializing", "log_format", "text"))).isEmpty();
        assertThat(Watchdog.unavailable(config("log_format", "json"))).isEmpty();
        assertThat(Watchdog.unavailable(config("mode", "afterburn"))).isEmpty();
        assertThat(Watchdog.unavailable(config("prefork", "2", "cgi_headers", "false"))).isEmpty();
        assertThat(Watchdog.unavailable(config("mode", "static", "static_path", tmp.toString()))).isEmpty();
    }
}
