package io.fwatchdog.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real Fn FDKs for the tests of {@code upstream_protocol=fn}, installed into the build's
 * {@code target/} on first use with the registries' ordinary clients, so a fresh machine needs
 * nothing beyond node and npm. The Node FDK comes from npm at a pinned version.
 */
public final class FnFdks {
    /** The Node FDK release the tests run. */
    public static final String NODE_FDK = "@fnproject/fdk@0.0.76";
    private static final Path NODE_DIR = Path.of("target", "fdk-node").toAbsolutePath();

    private FnFdks() {}

    /**
     * {@code func.js} (the test function under {@code functions/fn/}) beside a {@code node_modules}
     * holding the Node FDK, so that its {@code require} finds it; installed once per build.
     */
    public static synchronized Path nodeFunction() throws IOException, InterruptedException {
        Path fdk = NODE_DIR.resolve("node_modules/@fnproject/fdk/fn-fdk.js");
        if (!Files.exists(fdk)) {
            Files.createDirectories(NODE_DIR);
            run(List.of("npm", "install", "--prefix", NODE_DIR.toString(), "--no-audit", "--no-fund",
                    "--no-save", "--loglevel=error", NODE_FDK), NODE_DIR);
        }
        Path function = NODE_DIR.resolve("func.js");
        Files.copy(Path.of(WatchdogFixture.function("fn/func.js")), function, StandardCopyOption.REPLACE_EXISTING);
        return function;
    }

    private static void run(List<String> command, Path dir) throws IOException, InterruptedException {
        Path log = Files.createTempFile("fdk-install", ".log");
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                process.waitFor();
                throw new IllegalStateException(String.join(" ", command) + " took over 5 minutes");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (" + process.exitValue() + "): "
                        + Files.readString(log));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.getFirst() + " (are node and npm installed?)", e);
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
