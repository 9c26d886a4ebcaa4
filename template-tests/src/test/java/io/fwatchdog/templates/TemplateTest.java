package io.fwatchdog.templates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every template must hold, checked without Docker: a {@code template.yml} that agrees
 * with the Dockerfile, a Dockerfile that copies the watchdog in and runs it the way
 * docs/packaging.md says, and a starter function whose own tests pass.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("io.fwatchdog.templates.Template#all")
class TemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Commands that run a starter function's tests in an image's build. */
    private static final Pattern TEST_COMMAND =
            Pattern.compile("unittest|\\btox\\b|TEST_COMMAND|npm test|node --test|_test\\.sh|mvn\\b.*\\b(package|verify|test)\\b|gradle\\b.*\\b(build|test)\\b");

    @Parameter
    Template template;

    private Dockerfile.Stage last() {
        return template.dockerfile().last();
    }

    @Test
    void templateYmlNamesTheLanguageAndTheDockerfilesCommand() {
        assertThat(template.field("language")).as("language (faas-cli finds a template by its folder)").hasValue(template.name());
        if (template.name().equals("dockerfile")) {
            // faas-cli local-run and deploy send template.yml's fprocess over the image's ENV: the
            // user's own Dockerfile sets it, so the template must not.
            assertThat(fieldNames()).as("dockerfile's template.yml, as the official one").containsExactly("language");
            return;
        }
        assertThat(template.field("fprocess")).as("fprocess, which faas-cli deploys over the image's ENV")
                .hasValue(template.environment().get("fprocess"));
        assertThat(template.field("welcome_message")).hasValueSatisfying(message -> assertThat(message).isNotBlank());
    }

    private List<String> fieldNames() {
        List<String> names = new java.util.ArrayList<>();
        template.yml().fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void templateYmlHasOnlyFieldsFaasCliReads() {
        assertThat(fieldNames()).isSubsetOf("language", "fprocess", "welcome_message", "build_options", "handler_folder", "mount_ssh");
    }

    @Test
    void buildOptionsAreNamedPackageListsThatTheDockerfileInstalls() {
        JsonNode options = template.yml().get("build_options");
        if (options == null) {
            return;
        }
        assertThat(options.isArray()).as("build_options is a list").isTrue();
        for (JsonNode option : options) {
            assertThat(option.path("name").asText()).as("build option name").matches("[a-z0-9][a-z0-9-]*");
            assertThat(option.path("packages").isArray() && !option.path("packages").isEmpty()).as("%s: packages", option).isTrue();
            option.path("packages").forEach(p -> assertThat(p.asText()).as("a Debian package name").matches("[a-z0-9][a-z0-9+.-]+"));
        }
        // faas-cli passes the chosen packages as ADDITIONAL_PACKAGE; some stage must install them.
        assertThat(template.dockerfile().stages()).anySatisfy(stage -> {
            assertThat(stage.arguments("ARG")).anySatisfy(arg -> assertThat(arg).startsWith("ADDITIONAL_PACKAGE"));
            assertThat(stage.arguments("RUN")).anySatisfy(run -> assertThat(run).contains("apt-get install").contains("${ADDITIONAL_PACKAGE}"));
        });
    }

    @Test
    void buildsWithoutBuildKitOnlyInstructions() {
        // faas-cli build runs a plain docker build, which need not be BuildKit.
        for (Dockerfile.Stage stage : template.dockerfile().stages()) {
            assertThat(stage.arguments("RUN")).noneSatisfy(run -> assertThat(run).startsWith("--mount"));
        }
    }

    @Test
    void dockerignoreKeepsLocalBuildOutputOutOfTheContext() throws Exception {
        Path ignore = template.context().resolve(".dockerignore");
        assertThat(ignore).isRegularFile();
        List<String> patterns = Files.readAllLines(ignore).stream().map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        try (var files = Files.walk(template.dir())) {
            List<String> names = files.map(p -> p.getFileName().toString()).toList();
            if (names.contains("package.json")) {
                assertThat(patterns).anySatisfy(p -> assertThat(p).contains("node_modules"));
            }
            if (names.stream().anyMatch(n -> n.endsWith(".py"))) {
                assertThat(patterns).anySatisfy(p -> assertThat(p).contains("__pycache__"));
            }
            if (names.contains("pom.xml") || names.contains("build.gradle")) {
                assertThat(patterns).anySatisfy(p -> assertThat(p).containsAnyOf("target", "build"));
            }
        }
    }

    @Test
    void setsTheModeAndTheFunctionCommand() {
        assertThat(template.environment()).containsKey("mode").containsKey("fprocess");
        if (template.mode().equals("http")) {
            assertThat(template.environment()).containsKey("upstream_url");
        }
    }

    @Test
    void copiesTheWatchdogFromTheImageNamedByAnArgument() {
        Dockerfile dockerfile = template.dockerfile();
        assertThat(dockerfile.stage("watchdog")).as("a stage named watchdog").hasValueSatisfying(stage ->
                assertThat(stage.base()).isEqualTo("${FWATCHDOG_IMAGE}"));
        assertThat(dockerfile.globalArguments().get("FWATCHDOG_IMAGE")).startsWith("ghcr.io/fwatchdog/fwatchdog:");
        assertThat(last().arguments("COPY")).contains(
                "--from=watchdog /opt/fwatchdog /opt/fwatchdog", "--from=watchdog /usr/bin/fwatchdog /usr/bin/fwatchdog");
    }

    @Test
    void buildsOnANamedBaseWithAShell() {
        Dockerfile dockerfile = template.dockerfile();
        Optional<Dockerfile.Stage> stage = Optional.of(last());
        // Follow FROM <stage> back to the image the last stage is built on.
        while (stage.isPresent() && dockerfile.stage(stage.get().base()).isPresent()) {
            stage = dockerfile.stage(stage.get().base());
        }
        String base = dockerfile.resolvedBase(stage.orElseThrow());
        // The launcher and the shell-form RUN lines need /bin/sh; an unresolved argument is a typo.
        assertThat(base).doesNotContain("scratch").doesNotContain("$");
    }

    @Test
    void runsTheWatchdogAsANonRootUserWithItsHealthcheck() throws Exception {
        List<String> users = last().arguments("USER");
        assertThat(users).isNotEmpty();
        assertThat(users.getLast()).isNotIn("root", "0", "0:0");
        List<String> healthchecks = last().arguments("HEALTHCHECK");
        assertThat(healthchecks).hasSize(1);
        String check = healthchecks.getFirst();
        assertThat(JSON.readTree(check.substring(check.indexOf("CMD ") + 4)))
                .isEqualTo(JSON.readTree("[\"fwatchdog\", \"--run-healthcheck\"]"));
        assertThat(last().arguments("CMD")).hasSize(1);
        assertThat(JSON.readTree(last().arguments("CMD").getFirst())).isEqualTo(JSON.readTree("[\"fwatchdog\"]"));
    }

    @Test
    void imageDependsOnAStageThatRunsTheFunctionsTests() {
        List<String> tested = last().copiesFrom().stream()
                .filter(name -> template.dockerfile().stage(name).map(stage -> stage.arguments("RUN").stream()
                        .anyMatch(run -> TEST_COMMAND.matcher(run).find())).orElse(false))
                .toList();
        assertThat(tested).as("stages copied from that run the tests (BuildKit skips stages nothing copies from)").isNotEmpty();
    }

    @Test
    void starterFunctionsTestsPass(@TempDir Path temp) throws Exception {
        FunctionHome.create(template, temp).runStarterTests();
    }

    @Test
    void entryProgramsTestsPass(@TempDir Path temp) throws Exception {
        List<String> ran = FunctionHome.create(template, temp).runEntryProgramTests();
        assumeTrue(!ran.isEmpty(), template.name() + " has no tests of its own beside its entry program");
    }

    @Test
    void documentsTheHandlerInItsReadme() throws Exception {
        Path readme = template.dir().resolve("README.md");
        assertThat(readme).exists();
        assertThat(Files.readString(readme)).contains("```");
    }
}
