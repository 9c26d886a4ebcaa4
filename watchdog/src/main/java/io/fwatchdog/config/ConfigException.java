package io.fwatchdog.config;

import java.util.List;

/** Every problem found in one configuration, reported together so an operator fixes them in one go. */
public final class ConfigException extends Exception {
    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    /** One line per problem, each naming the variable, the value and what was expected. */
    public List<String> problems() {
        return problems;
    }
}
