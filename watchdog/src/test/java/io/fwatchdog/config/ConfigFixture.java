package io.fwatchdog.config;

import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Environments for config tests: a PATH directory holding an executable {@code fn}, plus overrides. */
final class ConfigFixture {
    private ConfigFixture() {}

    static Path executable(Path dir, String name) {
        return file(dir, name, "rwxr-xr-x");
    }

    static Path file(Path dir, String name, String permissions) {
        try {
            var file = dir.resolve(name);
            Files.writeString(file, "#!/bin/sh\nexit 0\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A valid streaming environment ({@code fprocess=fn} on a PATH of {@code bin}) with {@code overrides} applied pairwise. */
    static Map<String, String> env(Path bin, String... overrides) {
        if (!Files.exists(bin.resolve("fn"))) {
            executable(bin, "fn");
        }
        var env = new HashMap<String, String>();
        env.put("PATH", bin.toString());
        env.put("fprocess", "fn");
        for (int i = 0; i < overrides.length; i += 2) {
            env.put(overrides[i], overrides[i + 1]);
        }
        return env;
    }

    static Config parse(Map<String, String> env) {
        try {
            return Config.parse(env);
        } catch (ConfigException e) {
            throw new AssertionError("unexpected problems: " + e.problems(), e);
        }
    }

    static List<String> problems(Map<String, String> env) {
        return problems(env, List.of());
    }

    static List<String> problems(Map<String, String> env, List<String> commandOverride) {
        return catchThrowableOfType(ConfigException.class, () -> Config.parse(env, commandOverride)).problems();
    }
}
