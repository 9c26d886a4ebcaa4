package io.fwatchdog.templates;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The parts of a Dockerfile that the template tests check: its stages, their instructions and
 * the environment and working directory each stage ends with, following Docker's rules for
 * line continuations, comments and {@code ENV} quoting. Variable substitution in {@code ENV}
 * is refused rather than guessed at: the tests must run exactly what the image would.
 */
record Dockerfile(Map<String, String> globalArguments, List<Stage> stages) {

    /** One instruction: its keyword in upper case and the rest of its (joined) line. */
    record Instruction(String keyword, String arguments) {}

    /** A {@code FROM} and what follows it until the next one. */
    record Stage(String base, Optional<String> name, List<Instruction> instructions,
            Map<String, String> environment, Optional<String> workdir) {

        List<String> arguments(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::arguments).toList();
        }

        /** The stage names this stage copies from ({@code COPY --from=NAME ...}). */
        List<String> copiesFrom() {
            List<String> names = new ArrayList<>();
            for (String copy : arguments("COPY")) {
                for (String word : plainWords(copy)) {
                    if (word.startsWith("--from=")) {
                        names.add(word.substring("--from=".length()));
                    }
                }
            }
            return names;
        }
    }

    static Dockerfile read(Path file) throws IOException {
        return parse(Files.readString(file));
    }

    static Dockerfile parse(String text) {
        List<Stage> stages = new ArrayList<>();
        Map<String, String> globalArguments = new LinkedHashMap<>();
        String base = null;
        Optional<String> name = Optional.empty();
        List<Instruction> instructions = new ArrayList<>();
        Map<String, String> environment = new LinkedHashMap<>();
        Optional<String> workdir = Optional.empty();
        for (Instruction instruction : instructions(text)) {
            switch (instruction.keyword()) {
                case "FROM" -> {
                    if (base != null) {
                        stages.add(new Stage(base, name, List.copyOf(instructions), Map.copyOf(environment), workdir));
                    }
                    List<String> words = plainWords(instruction.arguments()).stream().filter(w -> !w.startsWith("--")).toList();
                    base = words.getFirst();
                    name = words.size() >= 3 && words.get(1).equalsIgnoreCase("AS") ? Optional.of(words.get(2)) : Optional.empty();
                    instructions = new ArrayList<>();
                    // A stage built FROM an earlier stage starts with that stage's environment.
                    environment = new LinkedHashMap<>();
                    workdir = Optional.empty();
                    for (Stage earlier : stages) {
                        if (earlier.name().filter(base::equals).isPresent()) {
                            environment.putAll(earlier.environment());
                            workdir = earlier.workdir();
                        }
                    }
                }
                case "ENV" -> environment.putAll(environment(instruction.arguments()));
                case "WORKDIR" -> {
                    String dir = instruction.arguments().strip();
                    workdir = Optional.of(dir.startsWith("/") ? dir : workdir.orElse("/") + "/" + dir);
                }
                case "ARG" -> {
                    if (base == null) {
                        String[] nameValue = instruction.arguments().strip().split("=", 2);
                        globalArguments.put(nameValue[0], nameValue.length == 2 ? unquote(nameValue[1], false).getFirst() : "");
                    }
                }
                default -> {
                    if (base == null) {
                        throw new IllegalArgumentException(instruction.keyword() + " before the first FROM");
                    }
                }
            }
            if (base != null && !instruction.keyword().equals("FROM")) {
                instructions.add(instruction);
            }
        }
        if (base == null) {
            throw new IllegalArgumentException("no FROM instruction");
        }
        stages.add(new Stage(base, name, List.copyOf(instructions), Map.copyOf(environment), workdir));
        return new Dockerfile(Map.copyOf(globalArguments), List.copyOf(stages));
    }

    /** A stage's base image with the global ARGs' defaults put in ({@code ${NAME}} or {@code $NAME}). */
    String resolvedBase(Stage stage) {
        String base = stage.base();
        for (Map.Entry<String, String> argument : globalArguments.entrySet()) {
            base = base.replace("${" + argument.getKey() + "}", argument.getValue()).replace("$" + argument.getKey(), argument.getValue());
        }
        return base;
    }

    /** The stage the image is made of: the last one. */
    Stage last() {
        return stages.getLast();
    }

    Optional<Stage> stage(String name) {
        return stages.stream().filter(s -> s.name().filter(name::equals).isPresent()).findFirst();
    }

    /**
     * Instructions with continuation lines joined: a line ending in a backslash goes on with
     * the next one; comment lines (also inside a continuation) and blank lines are dropped.
     */
    static List<Instruction> instructions(String text) {
        List<Instruction> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\r?\n", -1)) {
            String stripped = line.strip();
            if (stripped.startsWith("#") || stripped.isEmpty()) {
                continue;
            }
            if (stripped.endsWith("\\")) {
                current.append(stripped, 0, stripped.length() - 1).append(' ');
                continue;
            }
            current.append(stripped);
            add(result, current.toString());
            current.setLength(0);
        }
        if (!current.isEmpty()) {
            add(result, current.toString());
        }
        return result;
    }

    private static void add(List<Instruction> result, String line) {
        String trimmed = line.strip();
        if (trimmed.isEmpty()) {
            return;
        }
        int space = indexOfWhitespace(trimmed);
        String keyword = space < 0 ? trimmed : trimmed.substring(0, space);
        String arguments = space < 0 ? "" : trimmed.substring(space).strip();
        result.add(new Instruction(keyword.toUpperCase(Locale.ROOT), arguments));
    }

    /**
     * The variables of one {@code ENV} instruction, in both of Docker's forms:
     * {@code ENV a=b c="d e"} (any number of pairs) and the legacy {@code ENV a b c}, where
     * the value is the rest of the line.
     */
    static Map<String, String> environment(String arguments) {
        Map<String, String> result = new LinkedHashMap<>();
        String trimmed = arguments.strip();
        int space = indexOfWhitespace(trimmed);
        String first = space < 0 ? trimmed : trimmed.substring(0, space);
        if (!first.contains("=")) {
            if (space < 0) {
                throw new IllegalArgumentException("ENV " + trimmed + ": no value");
            }
            result.put(first, unquote(trimmed.substring(space).strip(), false).getFirst());
            return result;
        }
        for (String word : unquote(trimmed, true)) {
            int equals = word.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("ENV " + trimmed + ": \"" + word + "\" is not NAME=VALUE");
            }
            result.put(word.substring(0, equals), word.substring(equals + 1));
        }
        return result;
    }

    /** Words separated by whitespace, taken as written (FROM, COPY). */
    static List<String> plainWords(String text) {
        return List.of(text.strip().split("\\s+"));
    }

    /**
     * Reads an {@code ENV} value the way Docker does: single quotes are literal, double quotes
     * and a bare backslash escape the next character; with {@code split} whitespace outside
     * quotes separates words, else it is kept. A {@code $} outside single quotes would be
     * substituted by Docker and is refused here.
     */
    static List<String> unquote(String text, boolean split) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (split && Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                continue;
            }
            inWord = true;
            if (c == '\'') {
                int end = text.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated ' in: " + text);
                }
                word.append(text, i + 1, end);
                i = end;
            } else if (c == '"') {
                i++;
                for (; i < text.length() && text.charAt(i) != '"'; i++) {
                    char d = text.charAt(i);
                    if (d == '\\' && i + 1 < text.length()) {
                        d = text.charAt(++i);
                    } else if (d == '$') {
                        throw new IllegalArgumentException("variable substitution is not supported: " + text);
                    }
                    word.append(d);
                }
                if (i >= text.length()) {
                    throw new IllegalArgumentException("unterminated \" in: " + text);
                }
            } else if (c == '\\' && i + 1 < text.length()) {
                word.append(text.charAt(++i));
            } else if (c == '$') {
                throw new IllegalArgumentException("variable substitution is not supported: " + text);
            } else {
                word.append(c);
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }

    private static int indexOfWhitespace(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (Character.isWhitespace(text.charAt(i))) {
                return i;
            }
        }
        return -1;
    }
}
