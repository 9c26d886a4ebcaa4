package io.fwatchdog.config;

import java.util.Optional;

/**
 * Every configuration variable (README.md#settings) with its default and meaning. The parser takes its
 * defaults from here and the command line builds its flags and help from here, so the two cannot
 * drift apart.
 */
public enum Variable {
    MODE("mode", null, "streaming", null, "<mode>",
            "how requests reach the function: streaming, serializing, http, afterburn or static"),
    FPROCESS("fprocess", "function_process", null, "none", "<command>",
            "the function command, split on whitespace with quotes honoured and never run by a shell;"
                    + " required in streaming, serializing and afterburn modes"),
    UPSTREAM_URL("upstream_url", "http_upstream_url", null, "none", "<url>",
            "http mode: where the function listens, http://host[:port][/prefix] or unix:/path/to.sock"),
    UPSTREAM_PROTOCOL("upstream_protocol", null, "http", null, "<protocol>",
            "http mode: how the function is spoken to, http (a plain server at upstream_url) or fn"
                    + " (an Fn FDK function on a unix socket the watchdog makes)"),
    PORT("port", null, "8080", null, "<port>", "main HTTP listener port; 0 = any free port"),
    METRICS_PORT("metrics_port", null, "8081", null, "<port>",
            "Prometheus listener port; must differ from port; 0 = disabled"),
    READ_TIMEOUT("read_timeout", null, "30s", null, "<duration>", "time to receive the whole request"),
    WRITE_TIMEOUT("write_timeout", null, "30s", null, "<duration>",
            "time to send the whole response; also the drain budget at shutdown"),
    EXEC_TIMEOUT("exec_timeout", null, "30s", null, "<duration>", "per-request limit for the function; 0 = none"),
    HEALTHCHECK_INTERVAL("healthcheck_interval", null, null, "the value of write_timeout", "<duration>",
            "wait between failing health and closing the listener at shutdown; 0 = no wait"),
    CONTENT_TYPE("content_type", null, "application/octet-stream", null, "<type>",
            "response Content-Type in streaming and serializing modes"),
    MAX_INFLIGHT("max_inflight", null, "0", null, "<count>",
            "most concurrent requests admitted to the function; 0 = unlimited"),
    MAX_QUEUE("max_queue", null, null, "0; afterburn mode: 100 x workers; upstream_protocol=fn: 100", "<count>",
            "requests that may wait for an admission slot or a hot process, beyond which 429; 0 = reject at once"),
    BUFFER_HTTP("buffer_http", "http_buffer_req_body", "false", null, "<bool>",
            "http mode: buffer the request body and send it with Content-Length"),
    MAX_BODY_SIZE("max_body_size", null, "64Mi", null, "<size>", "largest request body that is buffered; over it 413"),
    MAX_HEADER_SIZE("max_header_size", null, "1Mi", null, "<size>",
            "largest request header block, 1Ki to 64Mi; over it 431"),
    PREFIX_LOGS("prefix_logs", null, "true", null, "<bool>",
            "prefix relayed function output with time and stream name"),
    LOG_BUFFER_SIZE("log_buffer_size", null, "65536", null, "<size>",
            "longest relayed log line before it is split; -1 = unlimited"),
    LOG_CALLID("log_callid", null, "false", null, "<bool>", "add the X-Call-Id to access-log lines"),
    LOG_FORMAT("log_format", null, "text", null, "<format>", "text or json (one JSON object per line)"),
    READY_PATH("ready_path", null, null, "none", "<path>",
            "a path that /_/ready also GETs from the function; http mode: ready once it answers 2xx"),
    SUPPRESS_LOCK("suppress_lock", null, "false", null, "<bool>", "do not write the lock file $TMPDIR/.lock"),
    STATIC_PATH("static_path", null, "/home/app/public", null, "<dir>", "static mode: the directory to serve"),
    COMBINE_OUTPUT("combine_output", null, "false", null, "<bool>",
            "serializing mode: include the function's stderr in the response body"),
    CGI_HEADERS("cgi_headers", null, "true", null, "<bool>",
            "fork modes: pass request metadata as Http_* environment variables"),
    WORKERS("workers", null, "1", null, "<count>", "afterburn mode: most hot processes running at once"),
    MIN_WORKERS("min_workers", null, "1", null, "<count>",
            "afterburn mode: hot processes kept started even when idle; at most workers"),
    IDLE_TIMEOUT("idle_timeout", null, "0", null, "<duration>",
            "afterburn mode: stop a hot process above min_workers after this idle time; 0 = never"),
    MAX_REQUESTS("max_requests", null, "0", null, "<count>",
            "afterburn mode: recycle a hot process after this many requests; 0 = unlimited"),
    PREFORK("prefork", null, "0", null, "<count>",
            "streaming and serializing modes: processes started ahead of requests; needs cgi_headers=false"),
    STARTUP_TIMEOUT("startup_timeout", null, "30s", null, "<duration>",
            "http and afterburn modes: how long the function may take to become ready"),
    RESTART_POLICY("restart_policy", null, "always", null, "<policy>",
            "http and afterburn modes: always, on-failure or never (never = exit with the function's status)");

    private final String envName;
    private final String alias;
    private final String defaultValue;
    private final String defaultNote;
    private final String paramLabel;
    private final String meaning;

    Variable(String envName, String alias, String defaultValue, String defaultNote, String paramLabel, String meaning) {
        this.envName = envName;
        this.alias = alias;
        this.defaultValue = defaultValue;
        this.defaultNote = defaultNote;
        this.paramLabel = paramLabel;
        this.meaning = meaning;
    }

    /** The environment variable name, lower-case as in of-watchdog ({@code exec_timeout}). */
    public String envName() {
        return envName;
    }

    /** The of-watchdog long name that wins over {@link #envName()} when both are set. */
    public Optional<String> alias() {
        return Optional.ofNullable(alias);
    }

    /** The long command-line flag: {@code exec_timeout} becomes {@code --exec-timeout}. */
    public String flag() {
        return "--" + envName.replace('_', '-');
    }

    /** How the value is written, for usage text ({@code <duration>}). */
    public String paramLabel() {
        return paramLabel;
    }

    public boolean isBoolean() {
        return paramLabel.equals("<bool>");
    }

    /** One line of help: {@code exec_timeout: per-request limit...; 0 = none (default: 30s)}. */
    public String description() {
        var names = alias == null ? envName : envName + " (or " + alias + ")";
        return names + ": " + meaning + " (default: " + (defaultValue != null ? defaultValue : defaultNote) + ")";
    }

    /** The raw default, parsed like any value; empty when there is none or it derives from another variable. */
    Optional<String> defaultValue() {
        return Optional.ofNullable(defaultValue);
    }
}
