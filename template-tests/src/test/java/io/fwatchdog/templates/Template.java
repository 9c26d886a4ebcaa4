package io.fwatchdog.templates;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One folder under {@code template/}: its {@code template.yml}, its Dockerfile and the build
 * context the Dockerfile is built from. Most templates are built from their own folder; the
 * {@code dockerfile} language is built from its {@code function/} folder, as faas-cli does, so
 * the context is wherever the Dockerfile is.
 */
record Template(String name, Path dir, Path context, Dockerfile dockerfile, JsonNode yml) {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** The repository's {@code template/} folder, found from the working directory upwards. */
    static Path templatesRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("template")) && Files.isRegularFile(dir.resolve("mvnw"))) {
                return dir.resolve("template");
            }
        }
        throw new IllegalStateException("no template/ folder beside mvnw above " + Path.of("").toAbsolutePath());
    }

    /** Every template: each folder of {@code template/} that holds a {@code template.yml}. */
    static List<Template> all() {
        try (Stream<Path> dirs = Files.list(templatesRoot())) {
            return dirs.filter(dir -> Files.isRegularFile(dir.resolve("template.yml"))).sorted().map(Template::load).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The template in the folder {@code name}. */
    static Template named(String name) {
        return load(templatesRoot().resolve(name));
    }

    static Template load(Path dir) {
        try {
            Path context = Files.isRegularFile(dir.resolve("Dockerfile")) ? dir : dir.resolve("function");
            return new Template(dir.getFileName().toString(), dir, context,
                    Dockerfile.read(context.resolve("Dockerfile")), YAML.readTree(dir.resolve("template.yml").toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A top-level string field of {@code template.yml}. */
    Optional<String> field(String name) {
        JsonNode node = yml.get(name);
        return node == null || !node.isTextual() ? Optional.empty() : Optional.of(node.asText());
    }

    /** The environment the image runs the watchdog with: the last stage's ENV. */
    Map<String, String> environment() {
        return dockerfile.last().environment();
    }

    /** The watchdog's mode as the image sets it; the watchdog's default when unset. */
    String mode() {
        return environment().getOrDefault("mode", "streaming");
    }

    /** The working directory of the image, where the context's files are laid out. */
    String workdir() {
        return dockerfile.last().workdir().orElseThrow(() -> new IllegalStateException(name + ": no WORKDIR"));
    }

    @Override
    public String toString() {
        return name;
    }
}
