package io.fwatchdog.templates;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The repository as faas-cli's {@code template pull} sees it: a {@code template/} folder at its root. */
class TemplateRepositoryTest {

    @Test
    void templateAtTheRootLeadsToEveryTemplate() throws Exception {
        Path templates = Template.templatesRoot();
        Path link = templates.resolveSibling("template");

        assertThat(Files.isSymbolicLink(link)).as("%s is a symbolic link", link).isTrue();
        assertThat(Files.readSymbolicLink(link)).as("a relative link, valid in any clone").isEqualTo(Path.of("templates"));
        assertThat(link.toRealPath()).isEqualTo(templates.toRealPath());
        assertThat(Template.all()).extracting(Template::name)
                .contains("python3-http", "node-http", "java-http", "bash-streaming", "dockerfile")
                .allSatisfy(name -> assertThat(link.resolve(name).resolve("template.yml")).isRegularFile());
    }
}
