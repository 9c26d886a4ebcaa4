package io.fwatchdog.templates;

import io.fwatchdog.config.Config;
import io.fwatchdog.testing.WatchdogFixture;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A template running as its image would run it, without Docker: the watchdog in this JVM with
 * exactly the image's ENV, against the template's entry program and starter function laid out
 * in a temporary home. The function process gets that ENV too (the watchdog passes its own
 * process environment on, which a test cannot change), through {@code env NAME=VALUE...}
 * in front of the image's command.
 */
final class TemplateRun implements AutoCloseable {
    /** Where each run's start-up figures are appended, for the README's table. */
    private static final Path FIRST_REQUEST_LOG = Path.of("target", "templates-first-request.tsv");

    /** The two kinds of starter function, by the mode that serves them. */
    enum Profile {
        /** {@code handle(event, context)} behind an entry program: http (and afterburn) mode. */
        HANDLER,
        /** A command reading the body on stdin: the fork modes. */
        PROCESS;

        static Profile of(Template template) {
            return switch (template.mode()) {
                case "http", "afterburn" -> HANDLER;
                case "streaming", "serializing" -> PROCESS;
                default -> throw new IllegalArgumentException(template.name() + ": no tests for mode " + template.mode());
            };
        }

        static List<Template> templates(Profile profile) {
            return Template.all().stream().filter(t -> of(t) == profile).toList();
        }
    }

    final Template template;
    final Path temp;
    final FunctionHome home;
    final WatchdogFixture watchdog;
    final Map<String, String> environment;

    private TemplateRun(Template template, Path temp, FunctionHome home, Map<String, String> environment,
            WatchdogFixture watchdog) {
        this.template = template;
        this.temp = temp;
        this.home = home;
        this.environment = environment;
        this.watchdog = watchdog;
    }

    /**
     * Starts {@code template} and sends it {@code first}, recording how long after the
     * watchdog's start the answer came (a figure, not an assertion).
     */
    static TemplateRun start(Template template, Function<TemplateRun, HttpRequest.Builder> first) throws Exception {
        return start(template, null, Map.of(), first);
    }

    /**
     * Starts {@code template} with the function folder {@code handler} laid over its starter
     * (null: the starter itself) and {@code extra} added to the image's environment, as a
     * stack file's {@code environment:} adds it.
     */
    static TemplateRun start(Template template, Path handler, Map<String, String> extra,
            Function<TemplateRun, HttpRequest.Builder> first) throws Exception {
        Path temp = Files.createTempDirectory("fwatchdog-template-" + template.name());
        FunctionHome home;
        Map<String, String> environment;
        WatchdogFixture watchdog;
        long started;
        try {
            home = FunctionHome.create(template, temp, handler);
            environment = new java.util.LinkedHashMap<>(home.environment());
            environment.putAll(extra);
            List<String> command = new ArrayList<>(List.of("env"));
            environment.forEach((name, value) -> command.add(name + "=" + value));
            command.addAll(Config.parse(withTestDefaults(environment)).functionCommand());
            started = System.nanoTime();
            watchdog = WatchdogFixture.start(environment, command);
        } catch (Exception | AssertionError e) {
            delete(temp);
            throw e;
        }
        long healthy = System.nanoTime();
        TemplateRun run = new TemplateRun(template, temp, home, environment, watchdog);
        HttpResponse<byte[]> response;
        try {
            response = run.send(first.apply(run));
        } catch (Exception | AssertionError e) {
            run.close();
            throw e;
        }
        long answered = System.nanoTime();
        String line = "%s\t%s\thealthy after %d ms\tfirst answer (%d) after %d ms%n".formatted(template.name(),
                template.mode(), (healthy - started) / 1_000_000, response.statusCode(), (answered - started) / 1_000_000);
        System.out.print(line);
        Files.writeString(FIRST_REQUEST_LOG, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return run;
    }

    /** The fixture's own settings over {@code environment}, so parsing here sees what it will. */
    private static Map<String, String> withTestDefaults(Map<String, String> environment) {
        var env = new java.util.HashMap<>(environment);
        env.put("port", "0");
        env.put("metrics_port", "0");
        return env;
    }

    HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return watchdog.client.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(watchdog.uri(path));
    }

    @Override
    public void close() throws IOException {
        try {
            watchdog.close();
        } finally {
            delete(temp);
        }
    }

    private static void delete(Path tree) throws IOException {
        try (Stream<Path> paths = Files.walk(tree)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
