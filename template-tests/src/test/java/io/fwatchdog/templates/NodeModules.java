package io.fwatchdog.templates;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * A folder's npm dependencies, installed as the Dockerfile's {@code npm install} installs them,
 * from the npm registry, once per distinct {@code package.json} into
 * {@code target/node-modules/<digest>/}; the folder gets a {@code node_modules} link to it.
 */
final class NodeModules {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CACHE = Path.of("target", "node-modules").toAbsolutePath();

    private NodeModules() {}

    /** Installs {@code dir/package.json}'s dependencies, if it has a package.json with any. */
    static synchronized void install(Path dir) throws IOException {
        Path manifest = dir.resolve("package.json");
        if (!Files.isRegularFile(manifest)) {
            return;
        }
        JsonNode dependencies = JSON.readTree(manifest.toFile()).path("dependencies");
        if (dependencies.isEmpty()) {
            return;
        }
        Path installed = CACHE.resolve(digest(dependencies.toString()));
        if (!Files.isDirectory(installed.resolve("node_modules"))) {
            Path work = Files.createDirectories(CACHE.resolve("work"));
            Path staging = Files.createTempDirectory(work, "install");
            Files.writeString(staging.resolve("package.json"),
                    JSON.createObjectNode().put("name", "template-test").put("version", "1.0.0").set("dependencies", dependencies)
                            .toString());
            npm(staging, "install", "--omit=dev", "--no-audit", "--no-fund", "--no-package-lock",
                    "--cache", CACHE.resolve("npm-cache").toString());
            Files.move(staging, installed);
        }
        Files.createSymbolicLink(dir.resolve("node_modules"), installed.resolve("node_modules"));
    }

    private static void npm(Path dir, String... args) throws IOException {
        String[] command = new String[args.length + 1];
        command[0] = "npm";
        System.arraycopy(args, 0, command, 1, args.length);
        Path output = dir.resolve("npm-output.txt");
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        try {
            boolean exited = process.waitFor(300, TimeUnit.SECONDS);
            assertThat(exited).as("npm %s did not finish within 300 s", String.join(" ", args)).isTrue();
            assertThat(process.exitValue()).as("npm %s in %s:%n%s", String.join(" ", args), dir, Files.readString(output)).isZero();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            process.destroyForcibly();
        }
    }

    private static String digest(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)))
                    .substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
