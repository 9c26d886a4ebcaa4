package io.fwatchdog.config;

import java.util.Map;

final class ConfigParser {
    private ConfigParser() {}

    static Config parse(Map<String, String> env) throws ConfigException {
        throw new UnsupportedOperationException("to be written");
    }
}
