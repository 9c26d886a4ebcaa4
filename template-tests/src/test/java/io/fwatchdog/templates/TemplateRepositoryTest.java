package io.fwatchdog.templates;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The repository as faas-cli's {@code template pull} sees it: a real {@code template/} folder at
 * its root, one folder per template, and nothing that a clone without symbolic links (Git for
 * Windows' {@code core.symlinks=false}) would turn into a text file.
 */
class TemplateRepositoryTest {

    @Test
    void templateAtTheRootIsAFolderHoldingEveryTemplate() {
        Path root = Template.templatesRoot();

        assertThat(Files.isSymbolicLink(root)).as("%s is a symbolic link", root).isFalse();
        assertThat(root).isDirectory();
        assertThat(root.resolveSibling("templates")).as("a second templates folder beside template/").doesNotExist();
        assertThat(Template.all()).extracting(Template::name)
                .contains("python3-http", "python3-flask", "node20", "node22", "java17", "java21", "python3-afterburn", "node-afterburn", "bash-streaming", "dockerfile");
    }

    @Test
    void holdsNoSymbolicLinks() throws Exception {
        try (Stream<Path> paths = Files.walk(Template.templatesRoot())) {
            assertThat(paths.filter(Files::isSymbolicLink).toList()).isEmpty();
        }
    }

    @Test
    void templatesForTwoVersionsOfALanguageShareTheirEntryProgram() throws Exception {
        // Each folder must be complete on its own (faas-cli copies one), so the copies are checked here.
        Path root = Template.templatesRoot();
        String app = "entrypoint/src/main/java/io/fwatchdog/template/App.java";
        assertThat(Files.readString(root.resolve("java21").resolve(app))).isEqualTo(Files.readString(root.resolve("java17").resolve(app)));
        assertThat(Files.readString(root.resolve("node22/index.js")).replace("node22", "node20"))
                .isEqualTo(Files.readString(root.resolve("node20/index.js")));
        assertThat(Files.readString(root.resolve("python3-flask/requirements.txt")))
                .isEqualTo(Files.readString(root.resolve("python3-http/requirements.txt")));
    }
}
