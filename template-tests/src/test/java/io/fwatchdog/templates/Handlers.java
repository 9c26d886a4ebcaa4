package io.fwatchdog.templates;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The function folders the official-contract tests lay over a template's starter, under
 * {@code src/test/resources/handlers/<template>/<name>/}: the official starter's behaviour
 * ({@code official}) and the examples of the official template's README ({@code readme}), each
 * written here from the documented behaviour.
 */
final class Handlers {
    private Handlers() {}

    static Path folder(String template, String name) {
        Path folder = Path.of("src", "test", "resources", "handlers", template, name).toAbsolutePath();
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("no handler folder " + folder);
        }
        return folder;
    }
}
