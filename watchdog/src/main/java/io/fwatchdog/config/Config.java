package io.fwatchdog.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The watchdog's whole configuration, parsed once at start-up from the environment (and the
 * command-line flags layered over it) and never changed afterwards.
 *
 * <p>Durations of {@link Duration#ZERO} mean "disabled" where README.md#settings says so
 * ({@code exec_timeout}, {@code idle_timeout}, {@code healthcheck_interval}).
 * Sizes of {@code -1} mean unlimited where allowed ({@code log_buffer_size}).
 */
public record Config(
        ModeName mode,
        /* The function command, already split; empty when none is configured. */
        List<String> functionCommand,
        /* The function's executable resolved against PATH; empty when there is no command. */
        Optional<Path> functionExecutable,
        /* http mode only: {@code http://host:port[/prefix]} or {@code unix:/path}. */
        Optional<String> upstreamUrl,
        /* http mode: plain HTTP to upstream_url, or Fn's http-stream contract to an FDK. */
        UpstreamProtocol upstreamProtocol,
        int port,
        /* 0 disables the metrics listener. */
        int metricsPort,
        Duration readTimeout,
        Duration writeTimeout,
        Duration execTimeout,
        Duration healthcheckInterval,
        String contentType,
        int maxInflight,
        int maxQueue,
        boolean bufferHttp,
        long maxBodySize,
        int maxHeaderSize,
        boolean prefixLogs,
        int logBufferSize,
        boolean logCallId,
        LogFormat logFormat,
        Optional<String> readyPath,
        boolean suppressLock,
        /* $TMPDIR/.lock, /tmp/.lock when TMPDIR is unset. */
        Path lockFile,
        Path staticPath,
        boolean combineOutput,
        boolean cgiHeaders,
        int workers,
        int minWorkers,
        Duration idleTimeout,
        int maxRequests,
        int prefork,
        Duration startupTimeout,
        RestartPolicy restartPolicy,
        /* Started by Fn: the unix socket path of FN_LISTENER, where the front also serves Fn's calls. */
        Optional<Path> fnListener) {

    public enum ModeName { STREAMING, SERIALIZING, HTTP, AFTERBURN, STATIC }

    public enum LogFormat { TEXT, JSON }

    public enum UpstreamProtocol { HTTP, FN }

    public enum RestartPolicy {
        ALWAYS, ON_FAILURE, NEVER;

        /** True when a process that exited by itself, successfully or not, is started again. */
        public boolean restartsAfter(boolean success) {
            return switch (this) {
                case ALWAYS -> true;
                case ON_FAILURE -> !success;
                case NEVER -> false;
            };
        }

        /** As the setting is written: {@code on-failure}. */
        public String setting() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * Parses the configuration from environment variables (lower-case of-watchdog names).
     * Reports every invalid value at once.
     *
     * @throws ConfigException naming each offending variable, its value and what was expected
     */
    public static Config parse(Map<String, String> env) throws ConfigException {
        return ConfigParser.parse(env);
    }

    /**
     * Like {@link #parse(Map)}, with the function command given as words (the command line's
     * {@code -- command args...}) in place of {@code fprocess}. The words are used verbatim, not
     * split again; the executable is still looked up on the map's {@code PATH}.
     *
     * @param commandOverride empty for none
     * @throws ConfigException naming each offending variable, its value and what was expected
     */
    public static Config parse(Map<String, String> env, List<String> commandOverride) throws ConfigException {
        return ConfigParser.parse(env, commandOverride);
    }

    /**
     * The lock file's path, {@code $TMPDIR/.lock} ({@code /tmp/.lock} when TMPDIR is unset or
     * empty). Separate from {@link #parse} so a health check can find it without a valid configuration.
     */
    public static Path lockFile(Map<String, String> env) {
        var tmpdir = env.get("TMPDIR");
        return Path.of(tmpdir == null || tmpdir.isEmpty() ? "/tmp" : tmpdir, ".lock");
    }

    /**
     * A duration in the settings' syntax (seconds, or Go-style such as {@code 500ms}), for
     * values that arrive at run time such as the {@code X-Timeout} header; empty when invalid.
     */
    public static Optional<Duration> parseDuration(String text) {
        return ValueSyntax.duration(text);
    }

    /** True when {@code exec_timeout} bounds function calls. */
    public boolean hasExecTimeout() {
        return !execTimeout.isZero();
    }
}
