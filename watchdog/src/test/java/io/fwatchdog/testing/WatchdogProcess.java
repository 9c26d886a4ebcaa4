package io.fwatchdog.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The watchdog as a process of its own, on this JVM's java and class path, for what only a real
 * process shows: signals, exit statuses, limits set on the process. It gets a private TMPDIR
 * (so the lock file is the test's own), no metrics and no {@code healthcheck_interval} unless the
 * environment given says otherwise; its output goes to a file. Closing it sends SIGTERM, then
 * SIGKILL if it has not ended within 30 s.
 */
public final class WatchdogProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on port (\\d+)");

    public final Process process;
    public final Path tmp;
    private final Path output;

    private WatchdogProcess(Process process, Path tmp, Path output) {
        this.process = process;
        this.tmp = tmp;
        this.output = output;
    }

    /**
     * Starts {@code launcher... java ... io.fwatchdog.Main args}; {@code launcher} is a command
     * that runs the rest (such as {@code prlimit}), or empty.
     */
    public static WatchdogProcess start(List<String> launcher, Map<String, String> environment, String... args)
            throws IOException {
        Path tmp = Files.createTempDirectory("fwatchdog-process");
        Path output = tmp.resolve("out.log");
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"), "io.fwatchdog.Main"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().put("TMPDIR", tmp.toString());
        builder.environment().put("metrics_port", "0");
        builder.environment().put("healthcheck_interval", "0");
        builder.environment().putAll(environment);
        return new WatchdogProcess(builder.start(), tmp, output);
    }

    /** Everything the watchdog has written so far. */
    public String output() throws IOException {
        return Files.readString(output, StandardCharsets.UTF_8);
    }

    /** Waits until the lock file exists: the watchdog is listening and the function ready. */
    public void awaitHealthy() throws InterruptedException {
        Processes.await(Duration.ofSeconds(60), () -> Files.exists(tmp.resolve(".lock")));
    }

    /** The main port, as the start-up line tells it (for {@code --port 0}). */
    public int port() throws IOException, InterruptedException {
        awaitOutput("listening on port ", Duration.ofSeconds(60));
        Matcher m = LISTENING.matcher(output());
        if (!m.find()) {
            throw new AssertionError("no port in " + output());
        }
        return Integer.parseInt(m.group(1));
    }

    /** Waits until the output contains {@code text}. */
    public void awaitOutput(String text, Duration limit) throws InterruptedException {
        Processes.await(limit, () -> {
            try {
                return output().contains(text);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** Sends SIGTERM and returns the exit status, within {@code limit}. */
    public int stop(Duration limit) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the watchdog did not end within " + limit + " of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
