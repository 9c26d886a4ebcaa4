package io.fwatchdog.templates;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * A template laid out in a temporary folder the way its image lays it out under its WORKDIR
 * (the build context's files at the same relative paths, a Gradle function compiled into
 * {@code function-1.0/} as its distribution unpacks), and its environment with the WORKDIR
 * prefix mapped onto that folder. The template's starter tests run here too, each language
 * with its own runner.
 */
final class FunctionHome {
    private static final Set<String> SKIPPED = Set.of("target", "node_modules", "__pycache__");
    private static final String JAVA_SOURCES = "src/main/java";
    private static final String JAVA_TESTS = "function/src/test/java";

    final Template template;
    final Path dir;

    private FunctionHome(Template template, Path dir) {
        this.template = template;
        this.dir = dir;
    }

    /** Copies the template's build context into {@code parent} and builds what needs building. */
    static FunctionHome create(Template template, Path parent) throws IOException {
        return create(template, parent, null);
    }

    /**
     * Copies the template's build context into {@code parent} with {@code handler} (a function
     * folder, or null for the starter) laid over its {@code function/} folder as faas-cli lays
     * it: the handler's files replace the starter's of the same name, the others stay. Then
     * does what the Dockerfile does besides copying: installs the entry program's and the
     * function's npm dependencies, marks {@code function/} a Python package, compiles Java.
     */
    static FunctionHome create(Template template, Path parent, Path handler) throws IOException {
        Path dir = parent.resolve("home");
        copy(template.context(), dir);
        FunctionHome home = new FunctionHome(template, dir);
        if (handler != null) {
            copy(handler, template.name().equals("dockerfile") ? dir : dir.resolve("function"));
        }
        if (template.dockerfile().stages().stream().flatMap(stage -> stage.arguments("RUN").stream())
                .anyMatch(run -> run.contains("touch function/__init__.py"))) {
            Files.writeString(dir.resolve("function/__init__.py"), "", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        NodeModules.install(dir);
        NodeModules.install(dir.resolve("function"));
        if (Files.isRegularFile(dir.resolve("function/build.gradle"))) {
            home.buildGradleDistribution();
        }
        return home;
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.filter(p -> Stream.iterate(from.relativize(p), q -> q != null, Path::getParent)
                    .noneMatch(q -> SKIPPED.contains(q.getFileName().toString()))).toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /**
     * The image's environment with every path under its WORKDIR moved under this folder and
     * {@code upstream_url}'s port replaced by a free one, plus a PATH whose {@code java} is the
     * JDK running the tests (25, the watchdog's).
     */
    Map<String, String> environment() throws IOException {
        Pattern prefix = Pattern.compile("(?<![\\w/.])" + Pattern.quote(template.workdir()) + "(?=[/:\\s]|$)");
        Map<String, String> env = new LinkedHashMap<>();
        template.environment().forEach((name, value) ->
                env.put(name, prefix.matcher(value).replaceAll(Matcher.quoteReplacement(dir.toString()))));
        if (env.containsKey("upstream_url")) {
            URI upstream = URI.create(env.get("upstream_url"));
            env.put("upstream_url", upstream.getScheme() + "://" + upstream.getHost() + ":" + freePort() + upstream.getRawPath());
        }
        String path = Path.of(System.getProperty("java.home"), "bin") + ":" + System.getenv("PATH");
        if (Files.isRegularFile(dir.resolve("requirements.txt"))) {
            // python3 is the interpreter that has the entry program's packages (Debian's, in CI).
            Path bin = Files.createDirectories(dir.getParent().resolve("bin"));
            Path python = Python.interpreter(dir.resolve("requirements.txt"));
            for (String name : List.of("python3", "python")) {
                Files.deleteIfExists(bin.resolve(name));
                Files.createSymbolicLink(bin.resolve(name), python);
            }
            path = bin + ":" + path;
        }
        env.put("PATH", path);
        return env;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /**
     * What the Gradle templates' build stage makes, without Gradle: the function compiled into
     * {@code function-1.0/function-1.0.jar}, its runtime classpath in {@code function-1.0/lib/}
     * (here the {@code com.openfaas} jars; other dependencies in build.gradle are not resolved)
     * and the entry program compiled against them into {@code lib/fwatchdog-entrypoint.jar}.
     */
    private void buildGradleDistribution() throws IOException {
        Path lib = Files.createDirectories(dir.resolve("function-1.0/lib"));
        List<Path> classpath = openfaasJars();
        for (Path jar : classpath) {
            Files.copy(jar, lib.resolve(jar.getFileName()));
        }
        Path classes = dir.resolve("target/classes");
        compile(sources(dir.resolve("function").resolve(JAVA_SOURCES)), classpath, classes);
        run(ToolProvider.findFirst("jar").orElseThrow(), "--create", "--file", dir.resolve("function-1.0/function-1.0.jar").toString(),
                "-C", classes.toString(), ".");
        List<Path> entryClasspath = new ArrayList<>(classpath);
        entryClasspath.add(classes);
        Path entryClasses = dir.resolve("target/entrypoint-classes");
        compile(sources(dir.resolve("entrypoint").resolve(JAVA_SOURCES)), entryClasspath, entryClasses);
        run(ToolProvider.findFirst("jar").orElseThrow(), "--create", "--file", lib.resolve("fwatchdog-entrypoint.jar").toString(),
                "-C", entryClasses.toString(), ".");
    }

    /** com.openfaas:model and com.openfaas:entrypoint, as Maven resolved them for these tests. */
    private static List<Path> openfaasJars() {
        return List.of(codeSource(com.openfaas.model.IHandler.class), codeSource(com.openfaas.entrypoint.App.class));
    }

    private static List<Path> sources(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            return paths.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    /** The Java release the image runs: the number in the tag of its JRE_IMAGE argument (25 without one). */
    private int javaRelease() {
        Matcher tag = Pattern.compile(":(\\d+)").matcher(template.dockerfile().globalArguments().getOrDefault("JRE_IMAGE", ""));
        return tag.find() ? Integer.parseInt(tag.group(1)) : 25;
    }

    private void compile(List<Path> sources, List<Path> classpath, Path output) throws IOException {
        Files.createDirectories(output);
        List<String> args = new ArrayList<>(List.of("--release", String.valueOf(javaRelease()), "-d", output.toString()));
        if (!classpath.isEmpty()) {
            args.addAll(List.of("--class-path", String.join(":", classpath.stream().map(Path::toString).toList())));
        }
        sources.forEach(source -> args.add(source.toString()));
        run(ToolProvider.findFirst("javac").orElseThrow(), args.toArray(String[]::new));
    }

    private static void run(ToolProvider tool, String... args) {
        StringWriter out = new StringWriter();
        int status = tool.run(new PrintWriter(out, true), new PrintWriter(out, true), args);
        assertThat(status).as("%s %s%n%s", tool.name(), String.join(" ", args), out).isZero();
    }

    /**
     * Runs the starter function's tests, as the image's test stage does: {@code *_test.py}
     * with unittest, {@code *.test.js} with {@code node --test}, {@code *_test.sh} with sh,
     * JUnit tests under {@code function/src/test/java}. Fails unless at least one ran and all passed.
     */
    void runStarterTests() throws Exception {
        // The function's own folder; for the dockerfile language the context is that folder.
        Path function = Files.isDirectory(dir.resolve("function")) ? dir.resolve("function") : dir;
        List<String> ran = new ArrayList<>();
        if (!find(function, "_test.py").isEmpty()) {
            boolean tox = Files.isRegularFile(function.resolve("tox.ini"));
            String python = (tox ? Python.interpreter(dir.resolve("requirements.txt"), "pytest")
                    : Python.interpreter(dir.resolve("requirements.txt"))).toString();
            if (tox) {
                // What tox.ini's test environment runs; tox itself would install from PyPI.
                command(dir, python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "function");
                ran.add("pytest");
            } else {
                command(function, python, "-m", "unittest", "discover", "-p", "*_test.py", "-v");
                ran.add("unittest");
            }
        }
        List<String> node = find(function, ".test.js");
        Path manifest = function.resolve("package.json");
        if (Files.isRegularFile(manifest) && !new com.fasterxml.jackson.databind.ObjectMapper().readTree(manifest.toFile())
                .path("scripts").path("test").asText().isEmpty()) {
            // What the image's test stage runs: the package's own test script.
            command(function, "npm", "test");
            ran.add("npm test");
        } else if (!node.isEmpty()) {
            List<String> args = new ArrayList<>(List.of("node", "--test"));
            args.addAll(node);
            command(function, args.toArray(String[]::new));
            ran.add("node --test");
        }
        for (String script : find(function, "_test.sh")) {
            command(function, "sh", script);
            ran.add("sh " + script);
        }
        if (Files.isDirectory(dir.resolve(JAVA_TESTS))) {
            runJUnit();
            ran.add("junit");
        }
        assertThat(ran).as("%s: the starter function has no test", template.name()).isNotEmpty();
    }

    /**
     * Runs the tests of the template's entry program, which sit beside it at the top of the
     * build context ({@code index_test.py}, {@code index.test.js}); returns what ran.
     */
    List<String> runEntryProgramTests() throws Exception {
        List<String> ran = new ArrayList<>();
        try (Stream<Path> paths = Files.list(dir)) {
            for (String name : paths.map(p -> p.getFileName().toString()).sorted().toList()) {
                if (name.endsWith("_test.py")) {
                    command(dir, Python.interpreter(dir.resolve("requirements.txt")).toString(), "-m", "unittest", "-v",
                            name.substring(0, name.length() - ".py".length()));
                    ran.add(name);
                } else if (name.endsWith(".test.js")) {
                    command(dir, "node", "--test", name);
                    ran.add(name);
                }
            }
        }
        return ran;
    }

    private static List<String> find(Path dir, String suffix) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(p -> p.getFileName().toString().endsWith(suffix)
                    && !p.toString().contains("/node_modules/")).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    private void command(Path workdir, String... command) throws Exception {
        Path output = Files.createTempFile(dir.getParent(), "test-output", ".txt");
        Process process = new ProcessBuilder(command).directory(workdir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        try {
            boolean exited = process.waitFor(120, TimeUnit.SECONDS);
            assertThat(exited).as("%s did not finish within 120 s", String.join(" ", command)).isTrue();
            assertThat(process.exitValue()).as("%s in %s:%n%s", String.join(" ", command), workdir, Files.readString(output))
                    .isZero();
        } finally {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    /** Compiles the function's JUnit tests against the built classes and runs them in this JVM. */
    private void runJUnit() throws IOException {
        Path tests = dir.resolve(JAVA_TESTS);
        List<Path> sources;
        try (Stream<Path> paths = Files.walk(tests)) {
            sources = paths.filter(p -> p.toString().endsWith(".java")).toList();
        }
        Path classes = dir.resolve("target/classes");
        Path testClasses = dir.resolve("target/test-classes");
        List<Path> classpath = new ArrayList<>(List.of(classes));
        for (Class<?> api : List.of(org.junit.jupiter.api.Test.class, org.opentest4j.AssertionFailedError.class,
                org.apiguardian.api.API.class, org.junit.Test.class, org.hamcrest.Matcher.class)) {
            classpath.add(codeSource(api));
        }
        classpath.addAll(openfaasJars());
        compile(sources, classpath, testClasses);
        boolean junit4 = false;
        for (Path source : sources) {
            junit4 |= Files.readString(source).contains("import org.junit.Test;");
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL(), testClasses.toUri().toURL()},
                getClass().getClassLoader())) {
            if (junit4) {
                // The official Java starters' tests are JUnit 4's, as their build.gradle says.
                List<Class<?>> testTypes = new ArrayList<>();
                for (Path source : sources) {
                    testTypes.add(loader.loadClass(tests.relativize(source).toString().replace(".java", "").replace('/', '.')));
                }
                org.junit.runner.Result result = new org.junit.runner.JUnitCore().run(testTypes.toArray(Class<?>[]::new));
                assertThat(result.getFailures()).as("JUnit 4 failures").isEmpty();
                assertThat(result.getRunCount()).as("JUnit 4 tests that ran").isPositive();
                return;
            }
            LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
            for (Path source : sources) {
                String name = tests.relativize(source).toString().replace(".java", "").replace('/', '.');
                request.selectors(DiscoverySelectors.selectClass(loader.loadClass(name)));
            }
            SummaryGeneratingListener listener = new SummaryGeneratingListener();
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            try {
                LauncherFactory.create().execute(request.build(), listener);
            } finally {
                thread.setContextClassLoader(previous);
            }
            TestExecutionSummary summary = listener.getSummary();
            StringWriter failures = new StringWriter();
            summary.printFailuresTo(new PrintWriter(failures), 20);
            assertThat(summary.getTotalFailureCount()).as("JUnit failures:%n%s", failures).isZero();
            assertThat(summary.getTestsSucceededCount()).as("JUnit tests that passed").isPositive();
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return dir.toString();
    }
}
