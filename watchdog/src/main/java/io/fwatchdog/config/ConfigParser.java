package io.fwatchdog.config;

import static io.fwatchdog.config.Variable.*;
import static java.util.Objects.requireNonNull;

import io.fwatchdog.config.Config.LogFormat;
import io.fwatchdog.config.Config.ModeName;
import io.fwatchdog.config.Config.RestartPolicy;
import io.fwatchdog.config.Config.UpstreamProtocol;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Turns the environment (with any command-line flags already layered over it) into a
 * {@link Config}, collecting every problem before failing once.
 *
 * <p>Every value that is set is checked, whatever the mode; the mode only decides what is
 * required and whether the function's executable is looked up. Apart from that look-up (and the
 * checks that the static directory and FN_LISTENER's directory exist) this is a pure function of
 * its arguments.
 */
final class ConfigParser {
    private static final String DURATION = "seconds or a duration like 30s";
    private static final String BOOLEAN = "true, false, 1, 0, yes, no, on or off";
    private static final String COUNT = "an integer of 0 or more";
    private static final String PORT_RANGE = "an integer from 0 to 65535";
    private static final String UPSTREAM = "http://host[:port][/prefix] or unix:/absolute/path";
    /** The longest path {@code sockaddr_un.sun_path} holds with its terminating NUL. */
    private static final int MAX_SOCKET_PATH = 107;
    private static final long MIN_HEADER_SIZE = 1L << 10;
    private static final long MAX_HEADER_SIZE_LIMIT = 64L << 20;
    private static final Set<ModeName> NEEDS_COMMAND = EnumSet.of(ModeName.STREAMING, ModeName.SERIALIZING, ModeName.AFTERBURN);
    private static final Set<ModeName> MAY_PREFORK = EnumSet.of(ModeName.STREAMING, ModeName.SERIALIZING);

    /** A value as the operator gave it, under the name they used (the alias when it won). */
    private record Setting(String name, String value) {}

    /** The function command and where it came from, for messages. */
    private record Command(String name, String text, List<String> words) {}

    private final Map<String, String> env;
    private final List<String> problems = new ArrayList<>();
    // Cross-variable checks skip variables that already have a problem, so one typo gives one line.
    private final Set<Variable> invalid = EnumSet.noneOf(Variable.class);

    private ConfigParser(Map<String, String> env) {
        this.env = env;
    }

    static Config parse(Map<String, String> env) throws ConfigException {
        return parse(env, List.of());
    }

    /**
     * @param commandOverride the words after {@code --} on the command line, used verbatim in place
     *     of {@code fprocess}; empty for none
     */
    static Config parse(Map<String, String> env, List<String> commandOverride) throws ConfigException {
        requireNonNull(env, "env");
        requireNonNull(commandOverride, "commandOverride");
        return new ConfigParser(env).parse(commandOverride);
    }

    private Config parse(List<String> commandOverride) throws ConfigException {
        var mode = mode();
        var command = command(commandOverride);
        var upstreamUrl = read(UPSTREAM_URL, ConfigParser::upstreamUrl, UPSTREAM);
        var upstreamProtocol = choice(UPSTREAM_PROTOCOL, UpstreamProtocol.class, "");
        int port = value(PORT, v -> intIn(v, 0, 65535), PORT_RANGE);
        int metricsPort = value(METRICS_PORT, v -> intIn(v, 0, 65535), PORT_RANGE);
        var readTimeout = value(READ_TIMEOUT, ValueSyntax::duration, DURATION);
        var writeTimeout = value(WRITE_TIMEOUT, ValueSyntax::duration, DURATION);
        var execTimeout = value(EXEC_TIMEOUT, ValueSyntax::duration, DURATION);
        var healthcheckInterval = read(HEALTHCHECK_INTERVAL, ValueSyntax::duration, DURATION).orElse(writeTimeout);
        var contentType = value(CONTENT_TYPE, ConfigParser::mediaType, "a media type like text/plain");
        int maxInflight = value(MAX_INFLIGHT, v -> intIn(v, 0, Integer.MAX_VALUE), COUNT);
        boolean bufferHttp = value(BUFFER_HTTP, ValueSyntax::bool, BOOLEAN);
        long maxBodySize = value(MAX_BODY_SIZE, v -> sizeIn(v, 1, Long.MAX_VALUE), "a size of at least 1 byte, like 64Mi");
        int maxHeaderSize = value(MAX_HEADER_SIZE, v -> sizeIn(v, MIN_HEADER_SIZE, MAX_HEADER_SIZE_LIMIT).map(Long::intValue),
                "a size from 1Ki to 64Mi");
        boolean prefixLogs = value(PREFIX_LOGS, ValueSyntax::bool, BOOLEAN);
        int logBufferSize = value(LOG_BUFFER_SIZE, ConfigParser::logBufferSize, "a size of at least 1 byte like 64Ki, or -1 for unlimited");
        boolean logCallId = value(LOG_CALLID, ValueSyntax::bool, BOOLEAN);
        var logFormat = choice(LOG_FORMAT, LogFormat.class, "");
        var readyPath = read(READY_PATH, ConfigParser::requestTarget, "a path starting with /, without spaces or control characters");
        boolean suppressLock = value(SUPPRESS_LOCK, ValueSyntax::bool, BOOLEAN);
        var staticPath = value(STATIC_PATH, ConfigParser::path, "a directory path");
        boolean combineOutput = value(COMBINE_OUTPUT, ValueSyntax::bool, BOOLEAN);
        boolean cgiHeaders = value(CGI_HEADERS, ValueSyntax::bool, BOOLEAN);
        int workers = value(WORKERS, v -> intIn(v, 1, Integer.MAX_VALUE), "an integer of 1 or more");
        int minWorkers = value(MIN_WORKERS, v -> intIn(v, 0, Integer.MAX_VALUE), COUNT);
        var idleTimeout = value(IDLE_TIMEOUT, ValueSyntax::duration, DURATION);
        int maxRequests = value(MAX_REQUESTS, v -> intIn(v, 0, Integer.MAX_VALUE), COUNT);
        int prefork = value(PREFORK, v -> intIn(v, 0, Integer.MAX_VALUE), COUNT);
        var startupTimeout = value(STARTUP_TIMEOUT, ValueSyntax::duration, DURATION);
        var restartPolicy = choice(RESTART_POLICY, RestartPolicy.class, "");
        // An afterburn pool's natural queue: a few requests per hot process may wait for one to free up.
        // An Fn function takes one call at a time, so concurrent callers wait their turn the same way.
        boolean fn = mode == ModeName.HTTP && upstreamProtocol == UpstreamProtocol.FN;
        int maxQueue = read(MAX_QUEUE, v -> intIn(v, 0, Integer.MAX_VALUE), COUNT)
                .orElse(mode == ModeName.AFTERBURN ? (int) Math.min(Integer.MAX_VALUE, 100L * workers) : fn ? 100 : 0);

        var fnListener = fnListener();
        checkPorts(port, metricsPort);
        checkWorkers(workers, minWorkers);
        Optional<Path> executable = Optional.empty();
        if (!invalid.contains(MODE)) {
            checkModeRequirements(mode, command, upstreamUrl, staticPath);
            checkUpstreamProtocol(mode, upstreamProtocol, command, upstreamUrl, readyPath);
            checkPrefork(mode, prefork, cgiHeaders);
            if (mode == ModeName.STATIC) {
                // Static mode runs no function; a command set image-wide is simply not used.
                command = Optional.empty();
            }
            executable = command.flatMap(this::resolveExecutable);
        }

        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new Config(
                mode,
                command.map(Command::words).orElse(List.of()),
                executable,
                upstreamUrl,
                upstreamProtocol,
                port,
                metricsPort,
                readTimeout,
                writeTimeout,
                execTimeout,
                healthcheckInterval,
                contentType,
                maxInflight,
                maxQueue,
                bufferHttp,
                maxBodySize,
                maxHeaderSize,
                prefixLogs,
                logBufferSize,
                logCallId,
                logFormat,
                readyPath,
                suppressLock,
                Config.lockFile(env),
                staticPath,
                combineOutput,
                cgiHeaders,
                workers,
                minWorkers,
                idleTimeout,
                maxRequests,
                prefork,
                startupTimeout,
                restartPolicy,
                fnListener);
    }

    /**
     * Fn's own variables, as its agent sets them for a container it starts: {@code FN_LISTENER}
     * ({@code unix:} and an absolute path that fits a socket address) with {@code FN_FORMAT=http-stream}.
     * Either one without the other is a problem: half of Fn's environment is no contract the
     * watchdog can keep. Upper-case, as Fn spells them, and without command-line flags.
     */
    private Optional<Path> fnListener() {
        String listener = env.getOrDefault("FN_LISTENER", "");
        String format = env.getOrDefault("FN_FORMAT", "");
        if (listener.isEmpty() && format.isEmpty()) {
            return Optional.empty();
        }
        Optional<Path> path = Optional.empty();
        if (listener.isEmpty()) {
            missing("FN_LISTENER", "unix:/path/lsnr.sock, the socket Fn calls the function on, with FN_FORMAT");
        } else {
            path = fnSocketPath(listener);
            if (path.isEmpty()) {
                problem("FN_LISTENER", listener, "unix: and an absolute path of at most " + MAX_SOCKET_PATH
                        + " bytes in an existing directory, like unix:/tmp/iofs/lsnr.sock");
            }
        }
        if (!format.equals("http-stream")) {
            if (format.isEmpty()) {
                missing("FN_FORMAT", "http-stream, with FN_LISTENER");
            } else {
                problem("FN_FORMAT", format, "http-stream, the only Fn format the watchdog speaks");
            }
        }
        return path;
    }

    private static Optional<Path> fnSocketPath(String listener) {
        if (!listener.startsWith("unix:")) {
            return Optional.empty();
        }
        String text = listener.substring("unix:".length());
        if (text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            return Optional.empty();
        }
        try {
            Path path = Path.of(text);
            Path dir = path.getParent();
            return path.isAbsolute() && path.getFileName() != null && dir != null && Files.isDirectory(dir)
                    ? Optional.of(path) : Optional.empty();
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    // ---- reading one variable ----

    /** The operator's value, the alias winning over the canonical name; an empty value is unset. */
    private Optional<Setting> given(Variable variable) {
        for (var name : variable.alias().map(a -> List.of(a, variable.envName())).orElse(List.of(variable.envName()))) {
            var value = env.get(name);
            if (value != null && !value.isEmpty()) {
                return Optional.of(new Setting(name, value));
            }
        }
        return Optional.empty();
    }

    private Optional<Setting> setting(Variable variable) {
        return given(variable).or(() -> variable.defaultValue().map(d -> new Setting(variable.envName(), d)));
    }

    /** The parsed value, or empty when unset (with no default) or invalid (then a problem is recorded). */
    private <T> Optional<T> read(Variable variable, Function<String, Optional<T>> parser, String expected) {
        var setting = setting(variable);
        if (setting.isEmpty()) {
            return Optional.empty();
        }
        var parsed = parser.apply(setting.get().value());
        if (parsed.isEmpty()) {
            invalid.add(variable);
            problem(setting.get(), expected);
        }
        return parsed;
    }

    /** For variables with a default: an invalid value yields the default so parsing can go on collecting problems. */
    private <T> T value(Variable variable, Function<String, Optional<T>> parser, String expected) {
        return read(variable, parser, expected)
                .orElseGet(() -> parser.apply(variable.defaultValue().orElseThrow()).orElseThrow());
    }

    /** A case-insensitive choice among the constants of {@code type}, written lower-case with dashes. */
    private <E extends Enum<E>> E choice(Variable variable, Class<E> type, String note) {
        var constants = type.getEnumConstants();
        var names = Arrays.stream(constants).map(ConfigParser::spelling).collect(Collectors.joining(", "));
        return value(variable,
                v -> Arrays.stream(constants).filter(c -> spelling(c).equalsIgnoreCase(v)).findFirst(),
                "one of " + names + note);
    }

    private static String spelling(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private ModeName mode() {
        var requested = setting(MODE).orElseThrow().value().toLowerCase(Locale.ROOT);
        // Planned modes (fn, inproc) get their own words so nobody hunts for a typo.
        var note = requested.equals("fn") ? "; an Fn FDK function runs in http mode with upstream_protocol=fn"
                : requested.equals("inproc") ? "; inproc mode is not supported yet" : "";
        return choice(MODE, ModeName.class, note);
    }

    private Optional<Command> command(List<String> override) {
        if (!override.isEmpty()) {
            return Optional.of(new Command("command after --", String.join(" ", override), List.copyOf(override)));
        }
        var setting = given(FPROCESS);
        if (setting.isEmpty()) {
            return Optional.empty();
        }
        try {
            var words = CommandLineSplitter.split(setting.get().value());
            return words.isEmpty() ? Optional.empty() : Optional.of(new Command(setting.get().name(), setting.get().value(), words));
        } catch (IllegalArgumentException e) {
            invalid.add(FPROCESS);
            problem(setting.get(), "a command whose quotes are closed; found " + e.getMessage());
            return Optional.empty();
        }
    }

    // ---- value syntaxes specific to one variable ----

    private static Optional<Integer> intIn(String text, long min, long max) {
        var n = ValueSyntax.integer(text);
        return n.isPresent() && n.getAsLong() >= min && n.getAsLong() <= max ? Optional.of((int) n.getAsLong()) : Optional.empty();
    }

    private static Optional<Long> sizeIn(String text, long min, long max) {
        var n = ValueSyntax.size(text);
        return n.isPresent() && n.getAsLong() >= min && n.getAsLong() <= max ? Optional.of(n.getAsLong()) : Optional.empty();
    }

    private static Optional<Integer> logBufferSize(String text) {
        return text.equals("-1") ? Optional.of(-1) : sizeIn(text, 1, Integer.MAX_VALUE).map(Long::intValue);
    }

    /** Rejects control characters, which would break the response header (CR/LF) at request time. */
    private static Optional<String> mediaType(String text) {
        return text.chars().anyMatch(Character::isISOControl) ? Optional.empty() : Optional.of(text);
    }

    /** A path (and query) that can go into a request line as it is: {@code ready_path}. */
    private static Optional<String> requestTarget(String text) {
        boolean sendable = text.startsWith("/") && text.chars().noneMatch(c -> c <= ' ' || c == 0x7f);
        return sendable ? Optional.of(text) : Optional.empty();
    }

    private static Optional<Path> path(String text) {
        try {
            return Optional.of(Path.of(text));
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    /**
     * {@code http://host[:port][/prefix]} (port defaults to 80, as in any http URL) or
     * {@code unix:/absolute/path}. Kept as written; the http mode builds requests from it.
     * https is refused: the upstream is a local process, and TLS to it would be a setting of its own.
     */
    private static Optional<String> upstreamUrl(String text) {
        if (text.startsWith("unix:")) {
            var socket = text.substring("unix:".length());
            return socket.startsWith("/") && socket.length() > 1 ? Optional.of(text) : Optional.empty();
        }
        try {
            var uri = new URI(text);
            boolean valid = "http".equalsIgnoreCase(uri.getScheme())
                    && uri.getHost() != null
                    && uri.getRawUserInfo() == null
                    && uri.getRawQuery() == null
                    && uri.getRawFragment() == null
                    && (uri.getPort() == -1 || (uri.getPort() >= 1 && uri.getPort() <= 65535));
            return valid ? Optional.of(text) : Optional.empty();
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }

    // ---- checks across variables ----

    private void checkPorts(int port, int metricsPort) {
        if (port != 0 && port == metricsPort && !invalid.contains(PORT) && !invalid.contains(METRICS_PORT)) {
            problem(setting(METRICS_PORT).orElseThrow(), "a port other than port " + port + ", or 0 to disable metrics");
        }
    }

    private void checkWorkers(int workers, int minWorkers) {
        if (minWorkers > workers && !invalid.contains(WORKERS) && !invalid.contains(MIN_WORKERS)) {
            problem(setting(MIN_WORKERS).orElseThrow(), "at most workers (" + workers + ")");
        }
    }

    private void checkModeRequirements(ModeName mode, Optional<Command> command, Optional<String> upstreamUrl, Path staticPath) {
        var modeName = spelling(mode);
        if (NEEDS_COMMAND.contains(mode) && command.isEmpty() && !invalid.contains(FPROCESS)) {
            missing(FPROCESS, "the function command in fprocess, or after -- on the command line, in " + modeName + " mode");
        }
        boolean fn = setting(UPSTREAM_PROTOCOL).orElseThrow().value().equalsIgnoreCase("fn");
        if (mode == ModeName.HTTP && upstreamUrl.isEmpty() && !invalid.contains(UPSTREAM_URL) && !fn) {
            missing(UPSTREAM_URL, UPSTREAM + " in http mode");
        }
        if (mode == ModeName.STATIC && !invalid.contains(STATIC_PATH) && !Files.isDirectory(staticPath)) {
            problem(setting(STATIC_PATH).orElseThrow(), "an existing directory to serve in static mode");
        }
    }

    /**
     * With {@code upstream_protocol=fn} the watchdog runs the FDK itself and picks its socket, so
     * the function command is required and {@code upstream_url} may not point elsewhere; and an
     * FDK serves only {@code POST /call}, so {@code ready_path} cannot be asked of it directly.
     */
    private void checkUpstreamProtocol(ModeName mode, UpstreamProtocol protocol, Optional<Command> command,
            Optional<String> upstreamUrl, Optional<String> readyPath) {
        if (protocol != UpstreamProtocol.FN || invalid.contains(UPSTREAM_PROTOCOL)) {
            return;
        }
        var setting = setting(UPSTREAM_PROTOCOL).orElseThrow();
        if (mode != ModeName.HTTP) {
            problem(setting, "http in " + spelling(mode) + " mode; upstream_protocol applies to http mode only");
            return;
        }
        if (command.isEmpty() && !invalid.contains(FPROCESS)) {
            missing(FPROCESS, "the Fn function command in fprocess, or after -- on the command line, with upstream_protocol=fn");
        }
        if (upstreamUrl.isPresent()) {
            problem(given(UPSTREAM_URL).orElseThrow(), "unset with upstream_protocol=fn: the watchdog makes the function's"
                    + " socket and gives it as FN_LISTENER");
        }
        if (readyPath.isPresent()) {
            problem(given(READY_PATH).orElseThrow(), "unset with upstream_protocol=fn: an Fn function is ready once"
                    + " it listens, and serves nothing but its calls");
        }
    }

    private void checkPrefork(ModeName mode, int prefork, boolean cgiHeaders) {
        if (prefork == 0 || invalid.contains(PREFORK)) {
            return;
        }
        var setting = setting(PREFORK).orElseThrow();
        if (!MAY_PREFORK.contains(mode)) {
            problem(setting, "0 in " + spelling(mode) + " mode; prefork applies to streaming and serializing modes only");
        } else if (cgiHeaders && !invalid.contains(CGI_HEADERS)) {
            problem(setting, "0 while cgi_headers is true: a preforked process is started before its request exists,"
                    + " so its environment cannot carry the request's Http_* variables; set cgi_headers=false to prefork");
        }
    }

    /**
     * Finds the executable as execvp would, but only in absolute PATH entries: an empty or
     * relative entry would make the result depend on the working directory (Go's exec.LookPath
     * refuses those too). The path is kept as found, symlinks unresolved, so argv[0]-sensitive
     * programs see their usual name.
     */
    private Optional<Path> resolveExecutable(Command command) {
        var name = command.words().getFirst();
        if (name.contains("/")) {
            var candidate = path(name).map(p -> p.toAbsolutePath().normalize()).filter(ConfigParser::isExecutableFile);
            if (candidate.isEmpty()) {
                problem(command.name(), command.text(), "a command whose executable " + quote(name) + " exists and is executable");
            }
            return candidate;
        }
        var searchPath = env.getOrDefault("PATH", "");
        if (searchPath.isEmpty()) {
            problem(command.name(), command.text(), "a command whose executable " + quote(name) + " is on PATH, but PATH is not set");
            return Optional.empty();
        }
        var found = name.isEmpty() ? Optional.<Path>empty() : Arrays.stream(searchPath.split(":"))
                .filter(dir -> dir.startsWith("/"))
                .flatMap(dir -> path(dir + "/" + name).stream())
                .map(Path::normalize)
                .filter(ConfigParser::isExecutableFile)
                .findFirst();
        if (found.isEmpty()) {
            problem(command.name(), command.text(), "a command whose executable " + quote(name) + " is on PATH");
        }
        return found;
    }

    private static boolean isExecutableFile(Path path) {
        return Files.isRegularFile(path) && Files.isExecutable(path);
    }

    // ---- problems ----

    private void problem(Setting setting, String expected) {
        problem(setting.name(), setting.value(), expected);
    }

    private void problem(String name, String value, String expected) {
        problems.add(name + ": " + quote(value) + " (expected: " + expected + ")");
    }

    private void missing(Variable variable, String expected) {
        missing(variable.envName(), expected);
    }

    private void missing(String name, String expected) {
        problems.add(name + ": not set (expected: " + expected + ")");
    }

    /**
     * The value in double quotes, with quotes, backslashes and control characters escaped, so
     * that a value holding a line break cannot split its problem into lines that look like others.
     */
    private static String quote(String value) {
        var quoted = new StringBuilder(value.length() + 2).append('"');
        value.chars().forEach(c -> {
            switch (c) {
                case '"', '\\' -> quoted.append('\\').append((char) c);
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        quoted.append(String.format("\\u%04x", c));
                    } else {
                        quoted.append((char) c);
                    }
                }
            }
        });
        return quoted.append('"').toString();
    }
}
