package io.fwatchdog.templates;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The Python interpreter a template's entry program runs on here: the first {@code python3} on
 * PATH, or Debian's {@code /usr/bin/python3}, that imports the packages the entry program's
 * {@code requirements.txt} names (Flask and waitress come from Debian packages in CI, where
 * PyPI is out of reach; a pyenv or virtualenv python3 earlier on PATH may not see them).
 */
final class Python {
    /** Requirements that only the image's test stage uses. */
    private static final List<String> TEST_ONLY = List.of("tox");
    private static final Map<List<String>, Path> CHOSEN = new ConcurrentHashMap<>();

    private Python() {}

    /** The interpreter that imports what {@code requirements} (if it exists) names, and {@code extra}. */
    static Path interpreter(Path requirements, String... extra) throws IOException {
        List<String> modules = new ArrayList<>(Files.isRegularFile(requirements) ? modules(requirements) : List.of());
        modules.addAll(List.of(extra));
        Path chosen = CHOSEN.get(modules);
        if (chosen == null) {
            chosen = choose(modules);
            CHOSEN.put(List.copyOf(modules), chosen);
        }
        return chosen;
    }

    private static List<String> modules(Path requirements) throws IOException {
        List<String> modules = new ArrayList<>();
        for (String line : Files.readAllLines(requirements)) {
            String name = line.replaceAll("#.*", "").strip().split("[=<>~!\\[; ]", 2)[0].toLowerCase(Locale.ROOT);
            if (!name.isEmpty() && !TEST_ONLY.contains(name)) {
                modules.add(name.replace('-', '_'));
            }
        }
        return List.copyOf(modules);
    }

    private static Path choose(List<String> modules) throws IOException {
        List<Path> candidates = new ArrayList<>();
        for (String dir : System.getenv("PATH").split(File.pathSeparator)) {
            Path python = Path.of(dir, "python3");
            if (Files.isExecutable(python)) {
                candidates.add(python);
                break;
            }
        }
        candidates.add(Path.of("/usr/bin/python3"));
        String probe = modules.isEmpty() ? "pass" : "import " + String.join(", ", modules);
        for (Path python : candidates) {
            if (Files.isExecutable(python) && imports(python, probe)) {
                return python;
            }
        }
        throw new IllegalStateException("no python3 on PATH nor /usr/bin/python3 imports " + modules
                + " (in CI: apt-get install python3-flask python3-waitress python3-pytest)");
    }

    private static boolean imports(Path python, String probe) throws IOException {
        Process process = new ProcessBuilder(python.toString(), "-c", probe).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(python + " -c '" + probe + "' did not finish within 60 s");
            }
            return process.exitValue() == 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            process.destroyForcibly();
        }
    }
}
